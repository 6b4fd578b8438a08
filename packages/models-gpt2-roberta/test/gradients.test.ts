import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ParameterSet, sinusoidal, type MethodInstance, type TunableModel } from '@peft/core';
import { classificationLoss, lmLoss, loadGpt2, loadRoberta } from '../src/index.js';
import { TINY_GPT2, TINY_ROBERTA } from './helpers.js';

/** A LoRA-like trainable hook y + x·U on attn.q and ffn.out of every layer (U starts non-zero). */
function trainableHooks(model: TunableModel): MethodInstance {
  const d = model.spec.hiddenSize;
  const params = new ParameterSet();
  for (let l = 0; l < model.spec.numLayers; l++) {
    params.create(`${l}.q`, [d, d], sinusoidal(l, 0.05), 0);
    params.create(`${l}.o`, [model.spec.intermediateSize, d], sinusoidal(l + 10, 0.05), 0);
  }
  const add = (u: tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => tf.add(y, tf.reshape(tf.matMul(tf.reshape(x, [-1, u.shape[0]!]), u as tf.Tensor2D), y.shape));
  return {
    method: { type: 'grad-probe', config: {}, claims: [], init: () => undefined as never, describe: () => 'grad-probe' },
    spec: model.spec,
    params,
    hooks: (l) => ({ linear: { 'attn.q': add(params.get(`${l}.q`)), 'ffn.out': add(params.get(`${l}.o`)) } }),
    dispose: () => params.dispose(),
  };
}

/** Central finite differences of `loss` in a few entries of `v`, against its autograd gradient. */
function checkAgainstFiniteDifferences(v: tf.Variable, loss: () => tf.Scalar, entries: number[]) {
  const { grads, value } = tf.variableGrads(loss, [v]);
  const g = grads[v.name]!.dataSync();
  const base = Float32Array.from(v.dataSync());
  const h = 1e-2;
  let checked = 0;
  for (const i of entries) {
    const at = (delta: number) => {
      const w = Float32Array.from(base);
      w[i]! += delta;
      v.assign(tf.tensor(w, v.shape));
      return tf.tidy(() => loss().dataSync()[0]!);
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    expect(Math.abs(fd - g[i]!), `entry ${i}: fd ${fd} vs autograd ${g[i]}`).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
    if (Math.abs(fd) > 1e-3) checked++;
  }
  v.assign(tf.tensor(base, v.shape));
  expect(checked).toBeGreaterThan(entries.length / 2);
  tf.dispose([value, ...Object.values(grads)]);
}

describe('gradients through the frozen models (custom-gradient linears, chunked loss) match finite differences', () => {
  it('GPT-2: LM loss with label smoothing, gradients of hooks in layer 0', async () => {
    const m = await loadGpt2(TINY_GPT2);
    const inst = trainableHooks(m);
    m.useMethod(inst);
    const ids = tf.tensor2d([[5, 17, 300, 42, 9, 640], [12, 250, 3, 99, 7, 8]], undefined, 'int32');
    const labels = tf.tensor2d([[-100, 17, 300, 42, 9, 640], [-100, -100, 3, 99, 7, 8]], undefined, 'int32');
    const loss = () => lmLoss(m, m.forward({ inputIds: ids, tokenTypeIds: ids }).hidden, labels, { labelSmoothing: 0.1, chunkRows: 4 });
    checkAgainstFiniteDifferences(inst.params.get('0.q'), loss, [0, 33, 500, 1000]);
    checkAgainstFiniteDifferences(inst.params.get('0.o'), loss, [1, 77, 2000, 4000]);
    tf.dispose([ids, labels]);
    inst.dispose();
    m.dispose();
  });

  it('RoBERTa: classification loss through the frozen head, gradients of hooks in layer 0', async () => {
    const m = await loadRoberta(TINY_ROBERTA, { numLabels: 3 });
    const inst = trainableHooks(m);
    m.useMethod(inst);
    const ids = tf.tensor2d([[0, 31, 400, 77, 2], [0, 88, 2, 1, 1]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], undefined, 'int32');
    const y = tf.tensor1d([2, 0], 'int32');
    // the N(0, 0.02) head gives small logits: scale them so the gradients are well above finite-difference noise
    const loss = () => classificationLoss(tf.mul(m.classify(m.forward({ inputIds: ids, attentionMask: mask }).hidden), 50) as tf.Tensor2D, y);
    checkAgainstFiniteDifferences(inst.params.get('0.q'), loss, [0, 33, 500, 1000]);
    checkAgainstFiniteDifferences(inst.params.get('0.o'), loss, [1, 77, 1000, 2000]);
    tf.dispose([ids, mask, y]);
    inst.dispose();
    m.dispose();
  });
});
