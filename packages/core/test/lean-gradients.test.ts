import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, leanAdd, leanGradients, leanVariableGrads } from '@peft/core';

const rand = (shape: number[], seed: number) => {
  const rng = new Rng(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
};

/** A small two-layer net with a shared input, a pass-through gradient (leanAdd), tidy scopes and a multi-output op. */
function net(w1: tf.Tensor, w2: tf.Tensor, x: tf.Tensor): tf.Scalar {
  const h = tf.tidy(() => tf.tanh(tf.matMul(x, w1))); // [4, 6]; the scope frees what the tape does not keep
  const [a, b] = tf.split(h, 2, 1);
  const r = leanAdd<tf.Tensor>(tf.mul(a!, b!), tf.sigmoid(a!)); // a read three times
  const y = tf.matMul(tf.concat([r, h], 1), w2); // [4, 2]; h read twice
  return tf.sum(tf.mul(y, y)) as tf.Scalar;
}

describe('leanGradients: tf.variableGrads with a backward pass that frees as it goes', () => {
  it('gives the same value and gradients as tf.variableGrads, leaks nothing, and keeps the tape clean', () => {
    const x = rand([4, 5], 1);
    const w1 = tf.variable(rand([5, 6], 2), true, 'lean-w1');
    const w2 = tf.variable(rand([9, 2], 3), true, 'lean-w2');
    const frozen = tf.variable(rand([2], 4), false, 'lean-frozen');
    const before = tf.memory().numTensors;
    const plain = tf.variableGrads(() => net(w1, w2, x), [w1, w2, frozen]);
    const lean = leanVariableGrads(() => net(w1, w2, x), [w1, w2, frozen]);
    expect(lean.value.dataSync()[0]).toBeCloseTo(plain.value.dataSync()[0]!, 6);
    expect(Object.keys(lean.grads).sort()).toEqual(['lean-w1', 'lean-w2']);
    for (const name of ['lean-w1', 'lean-w2']) {
      expect(lean.grads[name]!.shape).toEqual(plain.grads[name]!.shape);
      expect(Array.from(lean.grads[name]!.dataSync())).toEqual(Array.from(plain.grads[name]!.dataSync())); // bit-equal
    }
    tf.dispose([plain.value, lean.value, ...Object.values(plain.grads), ...Object.values(lean.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape).toBeNull();
    tf.dispose([x, w1, w2, frozen]);
  });

  it('frees each gradient once the backward has passed it: fewer live tensors at its peak than tfjs', () => {
    const x = rand([8, 8], 5);
    const w = tf.variable(rand([8, 8], 6), true, 'lean-chain');
    // a chain of 30 layers: tfjs holds all 30 activations' gradients until the end, the lean pass about one
    const chain = () => {
      let h: tf.Tensor = x;
      for (let i = 0; i < 30; i++) h = tf.tidy(() => tf.tanh(tf.matMul(h, w)));
      return tf.sum(h) as tf.Scalar;
    };
    const peakOf = (grads: typeof tf.variableGrads) => {
      const engine = tf.engine() as unknown as { runKernelFunc: (...a: unknown[]) => unknown; state: { numTensors: number } };
      const run = engine.runKernelFunc;
      let peak = 0;
      engine.runKernelFunc = function (this: unknown, ...a: unknown[]) {
        const out = run.apply(this, a);
        peak = Math.max(peak, engine.state.numTensors);
        return out;
      };
      try {
        const { value, grads: g } = grads(chain, [w]);
        const sum = Array.from(g['lean-chain']!.dataSync() as Float32Array).reduce((s: number, v: number) => s + v, 0);
        tf.dispose([value, ...Object.values(g)]);
        return { peak, sum };
      } finally {
        engine.runKernelFunc = run;
      }
    };
    const plain = peakOf(tf.variableGrads);
    const lean = peakOf(leanVariableGrads as typeof tf.variableGrads);
    expect(lean.sum).toBe(plain.sum);
    expect(lean.peak).toBeLessThan(plain.peak - 40); // ≥ 30 gradients and the tape's saved tensors freed on the way
    tf.dispose([x, w]);
  });

  it('leaves a given dy to its caller, and gradients of non-variables', () => {
    const a = rand([3, 3], 7);
    const dy = tf.fill([3, 3], 2);
    const { value, grads } = leanGradients(() => tf.mul(a, a), [a], dy);
    expect(dy.isDisposed).toBe(false);
    expect(Array.from(grads[0]!.dataSync())).toEqual(Array.from(tf.tidy(() => tf.mul(a, 4)).dataSync()));
    tf.dispose([value, grads[0]!, dy, a]);
  });

  it('says what is wrong as tfjs does', () => {
    const w = tf.variable(tf.ones([2]), false, 'lean-untrainable');
    expect(() => leanVariableGrads(() => tf.sum(w) as tf.Scalar, [w])).toThrow(/none of the 1 variables is trainable/);
    const v = tf.variable(tf.ones([2]), true, 'lean-unused');
    expect(() => leanVariableGrads(() => tf.scalar(1), [v])).toThrow(/Cannot find a connection/);
    tf.dispose([w, v]);
  });
});
