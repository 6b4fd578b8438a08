import * as tf from '@tensorflow/tfjs-core';
import '@peft/core'; // registers tfjs-core's gradients
import { describe, expect, it } from 'vitest';
import { LayerNorm } from '@peft/models-base';

/** The LayerNorm written plainly, differentiated by tfjs. */
function composed(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
  });
}

describe('LayerNorm under its own gradient', () => {
  it('equals the composed form and its autodiff gradient, and leaks nothing', () => {
    const x = tf.tidy(() => tf.add(tf.mul(tf.sin(tf.reshape(tf.range(0, 2 * 5 * 16, 1, 'float32'), [2, 5, 16])), 3), 0.5));
    const gamma = tf.tidy(() => tf.add(tf.cos(tf.range(0, 16, 1, 'float32')), 1.5)) as tf.Tensor1D;
    const beta = tf.tidy(() => tf.mul(tf.range(0, 16, 1, 'float32'), 0.1)) as tf.Tensor1D;
    const ln = new LayerNorm(tf.clone(gamma), tf.clone(beta), 1e-5);
    const w = tf.tidy(() => tf.cos(tf.reshape(tf.range(0, 2 * 5 * 16, 1, 'float32'), [2, 5, 16]))); // weights the loss
    const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(tf.square(f(t)), w));
    const before = tf.memory().numTensors;
    const [y, yRef] = [ln.apply(x), composed(x, gamma, beta, 1e-5)];
    const [dx, dxRef] = [tf.grad(loss((t) => ln.apply(t)))(x), tf.grad(loss((t) => composed(t, gamma, beta, 1e-5)))(x)];
    const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    expect(diff(y, yRef)).toBeLessThan(1e-5);
    expect(tf.tidy(() => tf.max(tf.abs(dxRef)).dataSync()[0]!)).toBeGreaterThan(0.1);
    expect(diff(dx, dxRef)).toBeLessThan(1e-4);
    tf.dispose([y, yRef, dx, dxRef]);
    expect(tf.memory().numTensors).toBe(before);
    ln.dispose();
    tf.dispose([x, gamma, beta, w]);
  });
});
