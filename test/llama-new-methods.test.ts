// IA³ and DoRA on the tiny Llama fixture (grouped-query attention, a gated FFN, rotary positions): every trainable
// tensor gets a gradient through the model, and a fresh adapter changes nothing. (The issue "models describe
// themselves": each new method works on the new model family with neither naming the other.)
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, attach, modelLinearSites, sinusoidal, type PeftMethod } from '@peft/core';
import { dora } from '@peft/dora';
import { ia3 } from '@peft/ia3';
import { lmLoss } from '@peft/models-base';
import { loadLlama, type LlamaModel } from '@peft/models-llama';

const TINY_LLAMA = fileURLToPath(new URL('../test-fixtures/tiny-llama', import.meta.url));
const IDS = [[5, 17, 300, 42, 9, 640], [0, 0, 3, 99, 7, 8]];
const MASK = [[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]];

function logitsAndLoss(model: LlamaModel): { logits: tf.Tensor; loss: tf.Scalar } {
  const inputIds = tf.tensor2d(IDS, undefined, 'int32');
  const attentionMask = tf.tensor2d(MASK, undefined, 'int32');
  const { hidden } = model.forward({ inputIds, attentionMask });
  const labels = tf.tensor2d(IDS.map((r, b) => r.map((t, i) => (MASK[b]![i] ? t : -100))), undefined, 'int32');
  return { logits: model.logits(hidden), loss: lmLoss(model, hidden, labels) };
}

describe('IA³ and DoRA on the tiny Llama fixture', () => {
  let model: LlamaModel;
  beforeAll(async () => {
    model = await loadLlama(TINY_LLAMA);
  });
  afterAll(() => model.dispose());

  const cases: [string, () => PeftMethod, (n: number) => number][] = [
    // k, v: H_kv·p = 2·16 wide (GQA; q is 4·16); the FFN activation d_ff = 128 wide
    ['IA³ (k, v, FFN activation)', () => ia3(), (layers) => layers * (2 * 32 + 128)],
    // LoRA r 2 on all seven projections, r·(in + out) each (q, o 64↔64; k, v 64→32; gate, up 64→128; down 128→64),
    // plus one magnitude per output feature (64 + 32 + 32 + 64 + 128 + 128 + 64)
    ['DoRA on every projection', () => dora({ sites: modelLinearSites(model.spec), rank: 2, alpha: 4 }), (layers) => layers * (2048 + 512)],
  ];
  for (const [name, make] of cases) {
    it(`${name}: a fresh adapter is a no-op, then every trainable tensor gets a finite, non-zero gradient`, () => {
      const before = tf.tidy(() => logitsAndLoss(model).logits);
      const tuned = attach(model, make(), { seed: 1 });
      try {
        const after = tf.tidy(() => logitsAndLoss(model).logits); // (DoRA sets m = ‖W‖ on this first pass)
        expect(tf.tidy(() => tf.max(tf.abs(tf.sub(after, before))).dataSync()[0])).toBeLessThan(1e-5);
        tf.dispose(after);
        const vars = tuned.trainableVariables();
        const expected = cases.find(([n]) => n === name)![2](model.spec.numLayers);
        expect(tuned.trainableParameters().total).toBe(expected);
        // non-trivial values so that no gradient is zero by construction (DoRA's B = 0, IA³'s ones)
        vars.forEach((v, k) => v.assign(tf.tidy(() => tf.add(v, tf.tensor(sinusoidal(k + 1, 0.1)(v.shape, new Rng(0)), v.shape)))));
        const { value, grads } = tf.variableGrads(() => logitsAndLoss(model).loss, vars);
        for (const v of vars) {
          const g = grads[v.name]!.dataSync() as Float32Array;
          expect(g.every(Number.isFinite), v.name).toBe(true);
          expect(Math.sqrt(g.reduce((a, x) => a + x * x, 0)), `${v.name} gradient norm`).toBeGreaterThan(1e-7);
        }
        tf.dispose([value, ...Object.values(grads)]);
      } finally {
        tuned.dispose();
        before.dispose();
      }
    });
  }
});
