import * as tf from '@tensorflow/tfjs-core';
import { Rng, attach, sinusoidal } from '@peft/core';
import { PRESETS } from '@peft/mam';
import { RobertaModel, generateGreedy, loadGpt2, loadRoberta } from '@peft/models-gpt2-roberta';
import { describe, expect, it } from 'vitest';
import { deviceErrors, onBackend, underCi, webgpuOrSkip } from './backend.js';

// Inference on WebGPU: cached greedy decoding emits cpu's tokens (per-query supports, shared prefixes with their
// position offset, the trainable-free path), equals its own full recomputation, and leaks nothing; RoBERTa's
// classifier gives cpu's logits.
const gpu = await webgpuOrSkip(); // under CI=true a missing adapter fails here
const GPT2 = new URL('../../test-fixtures/tiny-gpt2', import.meta.url).pathname;
const ROBERTA = new URL('../../test-fixtures/tiny-roberta', import.meta.url).pathname;
const PROMPTS = [[5, 17, 300, 42, 9, 640, 77, 12], [12, 250, 3]];

async function decode(backend: string, preset: string | null): Promise<{ cached: number[][]; full: number[][] }> {
  return onBackend(backend, async () => {
    const model = await loadGpt2(GPT2);
    const tuned = preset ? attach(model, PRESETS[preset]!.build(), { seed: 2 }) : null;
    // non-zero trainables, so each method changes what is generated
    tuned?.trainableVariables().forEach((v, k) => v.assign(tf.tidy(() => tf.tensor(sinusoidal(k + 1, 0.3)(v.shape, new Rng(k)), v.shape))));
    await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 2 }); // warm-up: the head's transposed table
    const before = tf.memory().numTensors;
    const cached = (await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 8 })).tokens;
    const full = (await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 8, useCache: false })).tokens;
    expect(tf.memory().numTensors, `${backend}: decoding leaked`).toBe(before);
    tuned?.dispose();
    model.dispose();
    return { cached, full };
  });
}

describe.skipIf(!gpu.ready && !underCi)(`inference on WebGPU equals cpu (${gpu.adapter ?? 'no adapter'})`, () => {
  for (const preset of [null, 'inducer-lora', 'prefix-tuning', 'mam-adapter']) {
    it(`cached greedy decoding: ${preset ?? 'no method'}`, async () => {
      const errors = deviceErrors().length;
      const cpu = await decode('cpu', preset);
      const webgpu = await decode('webgpu', preset);
      expect(deviceErrors().slice(errors)).toEqual([]);
      expect(webgpu.cached).toEqual(cpu.cached);
      expect(webgpu.full).toEqual(webgpu.cached);
      expect(new Set(cpu.cached.flat()).size, 'the tokens vary').toBeGreaterThan(2);
    });
  }

  it('RoBERTa classification logits with nlu-inducer-mam, padding masked (to 1e-5)', async () => {
    const logits = (backend: string) =>
      onBackend(backend, async () => {
        const model = (await loadRoberta(ROBERTA, { numLabels: 3, seed: 5 })) as RobertaModel;
        const tuned = attach(model, PRESETS['nlu-inducer-mam']!.build(), { seed: 2 });
        tuned.trainableVariables().forEach((v, k) => v.assign(tf.tidy(() => tf.tensor(sinusoidal(k + 1, 0.3)(v.shape, new Rng(k)), v.shape))));
        const out = tf.tidy(() => {
          const inputIds = tf.tensor2d([[0, 31, 400, 77, 2], [0, 88, 2, 1, 1]], undefined, 'int32');
          const attentionMask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], undefined, 'int32');
          return model.classify(model.forward({ inputIds, attentionMask }).hidden);
        });
        const v = await out.data();
        out.dispose();
        tuned.dispose();
        model.dispose();
        return Array.from(v);
      });
    const want = await logits('cpu');
    const got = await logits('webgpu');
    got.forEach((x, i) => expect(Math.abs(x - want[i]!), `logit ${i}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]!))));
  });
});
