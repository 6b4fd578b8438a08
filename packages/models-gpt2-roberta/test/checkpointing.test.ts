import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ParameterSet, sinusoidal, trainingContext, type MethodInstance, type TunableModel } from '@peft/core';
import { classificationLoss, lmLoss, loadGpt2, loadRoberta } from '../src/index.js';
import { TINY_GPT2, TINY_ROBERTA } from './helpers.js';

/**
 * A trainable method using dropout itself, a per-query support (λ gets attention dropout) and a shared support, so
 * the replayed masks and the nested tape are both exercised.
 */
function trainable(model: TunableModel): MethodInstance {
  const { hiddenSize: d, numHeads: H, headDim: p, numLayers } = model.spec;
  const params = new ParameterSet();
  for (let l = 0; l < numLayers; l++) {
    params.create(`${l}.q`, [d, d], sinusoidal(l, 0.05), 0);
    params.create(`${l}.k`, [H, 2, p], sinusoidal(l + 20, 0.5), 0);
  }
  return {
    method: { type: 'ckpt-probe', config: {}, claims: [], init: () => undefined as never, describe: () => 'ckpt-probe' },
    spec: model.spec,
    params,
    hooks: (l) => ({
      linear: {
        'attn.q': (x, y, ctx) => tf.add(y, tf.reshape(tf.matMul(tf.reshape(ctx.dropout(x, 0.2), [-1, d]), params.get(`${l}.q`) as tf.Tensor2D), y.shape)),
      },
      supports: ({ q }) => ({
        perQuery: { keys: tf.tanh(q) as tf.Tensor4D, values: tf.mul(q, 0.5) as tf.Tensor4D, mode: 'residual' },
        shared: { keys: params.get(`${l}.k`), values: params.get(`${l}.k`) },
      }),
    }),
    dispose: () => params.dispose(),
  };
}

function compare(loss: (checkpoint: boolean | number) => tf.Scalar, vars: tf.Variable[], option: boolean | number = true) {
  const plain = tf.variableGrads(() => loss(false), vars);
  const ckpt = tf.variableGrads(() => loss(option), vars);
  expect(ckpt.value.dataSync()[0]).toBe(plain.value.dataSync()[0]);
  for (const v of vars) {
    const a = plain.grads[v.name]!;
    const b = ckpt.grads[v.name]!;
    expect(tf.max(tf.abs(a)).dataSync()[0]).toBeGreaterThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0], v.name).toBeLessThan(1e-6);
  }
  tf.dispose([plain.value, ckpt.value, ...Object.values(plain.grads), ...Object.values(ckpt.grads)]);
}

describe('gradient checkpointing', () => {
  it('GPT-2: same loss and gradients as the plain tape, dropout masks replayed, no leak', async () => {
    const m = await loadGpt2(TINY_GPT2);
    const inst = trainable(m);
    m.useMethod(inst);
    const ids = tf.tensor2d([[5, 17, 300, 42, 9, 640], [0, 0, 250, 3, 99, 7]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]], undefined, 'int32');
    const labels = tf.tensor2d([[-100, 17, 300, 42, 9, 640], [-100, -100, -100, 3, 99, 7]], undefined, 'int32');
    const loss = (checkpointBlocks: boolean | number) =>
      lmLoss(m, m.forward({ inputIds: ids, attentionMask: mask, ctx: trainingContext(11, 2), checkpointBlocks }).hidden, labels, { labelSmoothing: 0.1 });
    compare(loss, inst.params.variables());
    compare(loss, inst.params.variables(), 1); // only the first block checkpointed
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => loss(true), inst.params.variables());
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => m.forward({ inputIds: ids, useCache: true, checkpointBlocks: true })).toThrow(/cache/);
    tf.dispose([ids, mask, labels]);
    inst.dispose();
    m.dispose();
  });

  it('RoBERTa: same loss and gradients as the plain tape', async () => {
    const m = await loadRoberta(TINY_ROBERTA, { numLabels: 3 });
    const inst = trainable(m);
    m.useMethod(inst);
    const ids = tf.tensor2d([[0, 31, 400, 77, 2], [0, 88, 2, 1, 1]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], undefined, 'int32');
    const y = tf.tensor1d([2, 0], 'int32');
    const loss = (checkpointBlocks: boolean | number) => {
      const ctx = trainingContext(5, 9);
      return classificationLoss(tf.mul(m.classify(m.forward({ inputIds: ids, attentionMask: mask, ctx, checkpointBlocks }).hidden, ctx), 50) as tf.Tensor2D, y);
    };
    compare(loss, inst.params.variables());
    tf.dispose([ids, mask, y]);
    inst.dispose();
    m.dispose();
  });
});
