import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '@peft/core';

describe('@peft/core registers the gradients of tfjs-core', () => {
  it('differentiates tanh', () => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor1d([0, 1]));
    const want = [1, 1 - Math.tanh(1) ** 2];
    const got = g.dataSync();
    expect(got[0]).toBeCloseTo(want[0]!, 6);
    expect(got[1]).toBeCloseTo(want[1]!, 6);
  });
});
