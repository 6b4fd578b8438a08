import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, attach, modelLinearSites, sinusoidal } from '@peft/core';
import { lora } from '@peft/lora';
import { llamaParameterCount, loadLlama, parseLlamaConfig, SMOLLM2_135M_CONFIG } from '@peft/models-llama';
import { FIXTURES_ROOT, TINY_LLAMA_DIR, TINY_QWEN2_DIR } from './fixtures.js';

describe.each([TINY_LLAMA_DIR, TINY_QWEN2_DIR])('%s: LoRA on every projection merges into the frozen weights', (dir) => {
  it('merged logits equal the unmerged ones; unmerge restores the base weights', async () => {
    const model = await loadLlama(join(FIXTURES_ROOT, dir));
    const tuned = attach(model, lora({ sites: modelLinearSites(model.spec), rank: 4, alpha: 8 }), { seed: 5 });
    try {
      tuned.trainableVariables().forEach((v, k) => v.assign(tf.tensor(sinusoidal(k + 1, 0.1)(v.shape, new Rng(0)), v.shape)));
      const ids = tf.tensor2d([[5, 17, 300, 42, 9], [12, 250, 3, 99, 7]], undefined, 'int32');
      const logits = () => tf.tidy(() => model.logits(model.forward({ inputIds: ids }).hidden));
      const base = tf.tidy(() => {
        model.useMethod(null);
        const z = logits();
        model.useMethod(tuned.instance);
        return z;
      });
      const kernel = model.getLinearKernel(1, 'ffn.gate');
      const unmerged = logits();
      tuned.merge();
      const merged = logits();
      const mergedKernel = model.getLinearKernel(1, 'ffn.gate');
      tuned.unmerge();
      const restored = model.getLinearKernel(1, 'ffn.gate');
      const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
      expect(diff(unmerged, base)).toBeGreaterThan(1e-2);
      expect(diff(merged, unmerged)).toBeLessThan(1e-4);
      expect(diff(mergedKernel, kernel)).toBeGreaterThan(1e-3);
      expect(diff(restored, kernel)).toBeLessThan(1e-6);
      tf.dispose([ids, base, kernel, unmerged, merged, mergedKernel, restored]);
    } finally {
      tuned.dispose();
      model.dispose();
    }
  });
});

describe('SmolLM2-135M', () => {
  it('its config parses to the published shape and 134,515,008 parameters', () => {
    const c = parseLlamaConfig({ ...SMOLLM2_135M_CONFIG });
    expect(c).toMatchObject({ modelType: 'llama', numLayers: 30, hiddenSize: 576, numHeads: 9, numKeyValueHeads: 3, headDim: 64, tieWordEmbeddings: true });
    expect(llamaParameterCount(c)).toBe(134_515_008);
  });
});
