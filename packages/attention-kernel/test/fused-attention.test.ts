import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { kernelAttention } from '@peft/attention-kernel';
import { GRADIENT_CASES, compareGradients } from './autodiff-reference.js';

// kernelAttention without shared supports runs scores → masks → softmax → dropout → values and λ's log-sum-exp under
// one custom gradient; its gradients must equal tfjs's autodiff through the plain composition, on every configuration.
describe('fused attention: one custom gradient equals autodiff through the composed ops', () => {
  for (const c of GRADIENT_CASES) {
    it(c.name, () => {
      const { worst, smallest, valueDiff } = compareGradients(c);
      expect(valueDiff).toBeLessThan(1e-5);
      expect(smallest).toBeGreaterThan(1e-4); // every input carries gradient
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('keeps no tensor after a training step, and calls dropout for the probabilities, then for λ', () => {
    const q = tf.variable(tf.randomNormal([1, 2, 4, 8])) as unknown as tf.Tensor4D;
    const pk = tf.randomNormal([1, 2, 4, 8]) as tf.Tensor4D;
    const calls: number[][] = [];
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const out = kernelAttention({ q, k: q, v: q, causal: true, supports: { perQuery: { keys: pk, mode: 'residual' } }, dropout: (x) => (calls.push([...x.shape]), x) });
      return tf.sum(out.output) as tf.Scalar;
    });
    expect(calls).toEqual([[1, 2, 4, 4], [1, 2, 4, 1]]);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, pk]);
  });
});
