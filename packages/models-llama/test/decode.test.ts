import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@peft/core';
import { disposeCache, generateGreedy, generateSampled } from '@peft/models-base';
import { loadLlama, type LlamaModel } from '@peft/models-llama';
import { FIXTURES_ROOT, TINY_LLAMA_DIR, TINY_QWEN2_DIR } from './fixtures.js';
import { probeInstance, type ProbeOptions } from './probe.js';

const PROMPTS = [
  [5, 17, 300, 42, 9, 640, 77, 12],
  [12, 250, 3],
  [400, 401, 402, 403, 404],
];

describe.each([TINY_LLAMA_DIR, TINY_QWEN2_DIR])('%s: decoding with a key/value cache', (dir) => {
  let model: LlamaModel;
  beforeAll(async () => {
    model = await loadLlama(join(FIXTURES_ROOT, dir));
  });
  afterAll(() => model.dispose());

  async function withProbe<T>(probe: ProbeOptions | undefined, f: () => T | Promise<T>): Promise<T> {
    if (probe) model.useMethod(probeInstance(model.spec, probe));
    try {
      return await f();
    } finally {
      if (probe) {
        model.method?.dispose();
        model.useMethod(null);
      }
    }
  }

  const methods: [string, ProbeOptions | undefined][] = [
    ['no method', undefined],
    ['every linear site (q, k, v, o, gate, up, down)', { linear: true }],
    ['a prefix-like shared support with a position offset', { shared: 3, positionOffset: 3 }],
    ['every hook at once', { linear: true, perQuery: true, shared: 2, outputs: true }],
  ];
  for (const [name, probe] of methods) {
    it(`greedy: cached decoding emits exactly the tokens of full recomputation: ${name}`, async () => {
      await withProbe(probe, async () => {
        const opts = { inputIds: PROMPTS, maxNewTokens: 8 };
        const cached = await generateGreedy(model, opts);
        const full = await generateGreedy(model, { ...opts, useCache: false });
        expect(cached.tokens).toEqual(full.tokens);
        expect(cached.tokens.map((t) => t.length)).toEqual([8, 8, 8]);
        expect(new Set(cached.tokens.map((t) => t.join(','))).size).toBeGreaterThan(1);
      });
    });
  }

  it('sampling: cached decoding draws the tokens of full recomputation (same seed)', async () => {
    const opts = { inputIds: PROMPTS, maxNewTokens: 8, temperature: 1.3, topP: 0.9, seed: 7 };
    const cached = await generateSampled(model, opts);
    const full = await generateSampled(model, { ...opts, useCache: false });
    expect(cached.tokens).toEqual(full.tokens);
    // seeded: the same seed repeats, another seed differs, and it is not the greedy continuation
    expect((await generateSampled(model, opts)).tokens).toEqual(cached.tokens);
    expect((await generateSampled(model, { ...opts, seed: 8 })).tokens).not.toEqual(cached.tokens);
    expect(cached.tokens).not.toEqual((await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 8 })).tokens);
  });

  it('sampling at temperature 0, or with a nucleus of one token, is greedy decoding', async () => {
    const greedy = (await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 6 })).tokens;
    expect((await generateSampled(model, { inputIds: PROMPTS, maxNewTokens: 6, temperature: 0 })).tokens).toEqual(greedy);
    expect((await generateSampled(model, { inputIds: PROMPTS, maxNewTokens: 6, topP: 1e-9, seed: 3 })).tokens).toEqual(greedy);
    await expect(generateSampled(model, { inputIds: PROMPTS, topP: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(generateSampled(model, { inputIds: PROMPTS, temperature: -1 })).rejects.toBeInstanceOf(ConfigError);
  });

  it('a left-padded row decodes as it does alone', async () => {
    await withProbe({ linear: true, perQuery: true, shared: 2 }, async () => {
      const batched = await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 8 });
      for (let b = 0; b < PROMPTS.length; b++) {
        const alone = await generateGreedy(model, { inputIds: [PROMPTS[b]!], maxNewTokens: 8 });
        expect(batched.tokens[b]).toEqual(alone.tokens[0]);
      }
    });
  });

  it('the cache gives the hidden states of the full forward pass (to 1e-5)', async () => {
    await withProbe({ linear: true, perQuery: true, shared: 2, outputs: true, positionOffset: 1 }, () => {
      tf.tidy(() => {
        const ids = tf.tensor2d([PROMPTS[0]!], undefined, 'int32');
        const full = model.forward({ inputIds: ids });
        const first = model.forward({ inputIds: tf.slice(ids, [0, 0], [1, 5]) as tf.Tensor2D, useCache: true });
        const second = model.forward({ inputIds: tf.slice(ids, [0, 5], [1, 3]) as tf.Tensor2D, cache: first.cache! });
        expect(second.cache!.length).toBe(8);
        // the cache keeps the key/value heads only (grouped-query attention)
        expect(second.cache!.layers[0]!.k.shape).toEqual([1, model.config.numKeyValueHeads, 8, model.config.headDim]);
        const want = tf.slice(full.hidden, [0, 5, 0], [1, 3, -1]);
        expect(tf.max(tf.abs(tf.sub(want, second.hidden))).dataSync()[0]).toBeLessThan(1e-5);
        disposeCache(first.cache);
        disposeCache(second.cache);
      });
    });
  });

  it('leaks no tensors', async () => {
    await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 2 }); // warm-up
    const before = tf.memory().numTensors;
    await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 4 });
    await generateSampled(model, { inputIds: PROMPTS, maxNewTokens: 4, topP: 0.8 });
    await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 4, useCache: false });
    expect(tf.memory().numTensors).toBe(before);
  });
});
