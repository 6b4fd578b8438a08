import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IGNORE_INDEX, classificationLoss, lmLoss, loadGpt2, type Gpt2Model } from '../src/index.js';
import { TINY_GPT2 } from './helpers.js';

/** The plain formulation: full logits, log-softmax, one-hot; PyTorch CrossEntropyLoss(label_smoothing=ε, ignore_index=−100). */
function naiveLoss(model: Gpt2Model, hidden: tf.Tensor3D, labels: number[][], eps: number): tf.Scalar {
  const [b, n] = hidden.shape;
  const V = model.vocabSize;
  const logp = tf.logSoftmax(tf.reshape(tf.slice(model.logits(hidden), [0, 0, 0], [b, n - 1, V]), [-1, V]));
  const targets = labels.flatMap((r) => r.slice(1));
  const valid: number[] = targets.map((y) => (y === IGNORE_INDEX ? 0 : 1));
  const count = valid.reduce((a, c) => a + c, 0);
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(targets.map((y) => Math.max(y, 0)), 'int32') as tf.Tensor1D, V), 'float32');
  const nll = tf.neg(tf.sum(tf.mul(onehot, logp), 1));
  const smooth = tf.neg(tf.mean(logp, 1));
  const row = tf.add(tf.mul(nll, 1 - eps), tf.mul(smooth, eps));
  return tf.div(tf.sum(tf.mul(row, tf.tensor1d(valid))), count) as tf.Scalar;
}

describe('chunked LM loss', () => {
  let model: Gpt2Model;
  let hidden: tf.Tensor3D;
  const labels = [
    [IGNORE_INDEX, IGNORE_INDEX, 30, 31, 656, IGNORE_INDEX],
    [IGNORE_INDEX, 5, 6, 7, 8, 9],
  ];
  beforeEach(async () => {
    model = await loadGpt2(TINY_GPT2);
    hidden = tf.tidy(() => model.forward({ inputIds: tf.tensor2d([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]], undefined, 'int32') }).hidden);
  });
  afterEach(() => {
    hidden.dispose();
    model.dispose();
  });

  for (const eps of [0, 0.1]) {
    for (const chunkRows of [1, 3, 128]) {
      it(`value and gradient equal the plain formulation (ε = ${eps}, chunkRows = ${chunkRows})`, () => {
        const y = tf.tensor2d(labels, undefined, 'int32');
        const [got, gGot] = tf.tidy(() => {
          const { value, grads } = tf.valueAndGrads((h: tf.Tensor) => lmLoss(model, h as tf.Tensor3D, y, { labelSmoothing: eps, chunkRows }))([hidden]);
          return [value.dataSync()[0]!, grads[0]!.arraySync()];
        }) as unknown as [number, number[][][]];
        const [want, gWant] = tf.tidy(() => {
          const { value, grads } = tf.valueAndGrads((h: tf.Tensor) => naiveLoss(model, h as tf.Tensor3D, labels, eps))([hidden]);
          return [value.dataSync()[0]!, grads[0]!.arraySync()];
        }) as unknown as [number, number[][][]];
        y.dispose();
        expect(got).toBeGreaterThan(1);
        expect(Math.abs(got - want)).toBeLessThan(1e-5);
        const diff = Math.max(...gGot.flat(2).map((v, i) => Math.abs(v - gWant.flat(2)[i]!)));
        expect(diff).toBeLessThan(1e-6);
        // the last position of each row predicts nothing: zero gradient there
        expect(gGot[0]![5]!.every((v) => v === 0)).toBe(true);
        expect(Math.max(...gGot[1]![0]!.map(Math.abs))).toBeGreaterThan(1e-4);
      });
    }
  }

  it('scales its gradient by the upstream dy (the forward keeps ∂loss/∂h per unit dy)', () => {
    const y = tf.tensor2d(labels, undefined, 'int32');
    const [g1, g3] = tf.tidy(() => [
      tf.grad((h: tf.Tensor) => lmLoss(model, h as tf.Tensor3D, y, { labelSmoothing: 0.1, chunkRows: 4 }))(hidden),
      tf.grad((h: tf.Tensor) => tf.mul(lmLoss(model, h as tf.Tensor3D, y, { labelSmoothing: 0.1, chunkRows: 4 }), -2.5))(hidden),
    ]);
    expect(tf.max(tf.abs(g1!)).dataSync()[0]).toBeGreaterThan(1e-4);
    expect(tf.max(tf.abs(tf.add(tf.mul(g1!, -2.5), tf.neg(g3!)))).dataSync()[0]).toBeLessThan(1e-7);
    tf.dispose([y, g1!, g3!]);
  });

  it('a hand-worked case: ε-smoothing is (1 − ε)·NLL + ε·mean_k(−log p_k)', () => {
    const y = tf.tensor2d([[0, 42]], undefined, 'int32');
    const h = tf.slice(hidden, [0, 0, 0], [1, 2, -1]) as tf.Tensor3D;
    const z = Array.from(tf.tidy(() => model.logits(tf.slice(h, [0, 0, 0], [1, 1, -1]))).dataSync());
    const lse = Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
    const want = 0.8 * (lse - z[42]!) + 0.2 * (lse - z.reduce((a, v) => a + v, 0) / z.length);
    const got = lmLoss(model, h, y, { labelSmoothing: 0.2 });
    expect(Math.abs(got.dataSync()[0]! - want)).toBeLessThan(1e-5);
    tf.dispose([y, h, got]);
  });

  it('trains only the added token rows: their gradient equals the plain formulation', () => {
    const ids = model.addSpecialTokens(4, { seed: 3, trainable: true });
    expect(ids).toEqual([657, 658, 659, 660]);
    const added = model.extraTrainables().get('wte.added_rows');
    const input = tf.tensor2d([[657, 2, 658, 4, 5, 660]], undefined, 'int32');
    const types = tf.tensor2d([[659, 659, 659, 660, 660, 660]], undefined, 'int32');
    const rowLabels = [[IGNORE_INDEX, 2, 658, 4, 659, 660]];
    const y = tf.tensor2d(rowLabels, undefined, 'int32');
    const f = (loss: (h: tf.Tensor3D) => tf.Scalar) => () => loss(model.forward({ inputIds: input, tokenTypeIds: types }).hidden);
    const got = tf.variableGrads(f((h) => lmLoss(model, h, y, { labelSmoothing: 0.1, chunkRows: 2 })), [added]);
    const oneChunk = tf.variableGrads(f((h) => lmLoss(model, h, y, { labelSmoothing: 0.1, chunkRows: 128 })), [added]);
    expect(tf.max(tf.abs(tf.sub(oneChunk.grads[added.name]!, got.grads[added.name]!))).dataSync()[0]).toBeLessThan(1e-6);
    const want = tf.variableGrads(f((h) => naiveLoss(model, h, rowLabels, 0.1)), [added]);
    const g = got.grads[added.name]!;
    const w = want.grads[added.name]!;
    expect(g.shape).toEqual([4, 32]);
    expect(tf.max(tf.abs(tf.sub(g, w))).dataSync()[0]).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(1e-3);
    expect(Math.abs(got.value.dataSync()[0]! - want.value.dataSync()[0]!)).toBeLessThan(1e-5);
    tf.dispose([input, types, y, got.value, want.value, g, w]);
  });

  it('leaks no tensors, and gives 0 when every label is ignored', () => {
    const y = tf.tensor2d(labels, undefined, 'int32');
    tf.tidy(() => tf.grad((h: tf.Tensor) => lmLoss(model, h as tf.Tensor3D, y, { chunkRows: 4 }))(hidden)); // warm-up
    const before = tf.memory().numTensors;
    const g = tf.grad((h: tf.Tensor) => lmLoss(model, h as tf.Tensor3D, y, { labelSmoothing: 0.1, chunkRows: 4 }))(hidden);
    g.dispose();
    lmLoss(model, hidden, y).dispose();
    expect(tf.memory().numTensors).toBe(before);
    const none = tf.fill([2, 6], IGNORE_INDEX, 'int32') as tf.Tensor2D;
    const zero = lmLoss(model, hidden, none);
    expect(zero.dataSync()[0]).toBe(0);
    tf.dispose([y, none, zero]);
  });

  it('rejects labels outside the vocabulary', () => {
    const y = tf.tensor2d([[0, 0, 0, 0, 0, 9999], [0, 0, 0, 0, 0, 0]], undefined, 'int32');
    expect(() => lmLoss(model, hidden, y)).toThrow(/9999/);
    y.dispose();
  });
});

describe('classification loss', () => {
  it('equals −log softmax of the label, averaged', () => {
    const logits = tf.tensor2d([[1, 2, 0.5], [0.1, -1, 3]]);
    const got = classificationLoss(logits, tf.tensor1d([1, 2], 'int32')).dataSync()[0]!;
    const nll = (z: number[], y: number) => Math.log(z.reduce((a, v) => a + Math.exp(v), 0)) - z[y]!;
    expect(got).toBeCloseTo((nll([1, 2, 0.5], 1) + nll([0.1, -1, 3], 2)) / 2, 6);
    expect(() => classificationLoss(logits, tf.tensor1d([3, 0], 'int32'))).toThrow(/outside/);
  });
});
