import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeCache, generateGreedy, loadGpt2, type Gpt2Model } from '../src/index.js';
import { TINY_GPT2 } from './helpers.js';
import { probeInstance, type ProbeOptions } from './probe-method.js';

const PROMPTS = [
  [5, 17, 300, 42, 9, 640, 77, 12],
  [12, 250, 3],
  [400, 401, 402, 403, 404],
];
const TYPES = [
  [650, 650, 651, 651, 651, 652, 652, 652],
  [651, 652, 652],
  [650, 651, 651, 652, 652],
];

describe('greedy decoding with a key/value cache', () => {
  let model: Gpt2Model;
  beforeAll(async () => {
    model = await loadGpt2(TINY_GPT2);
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
    ['an inducer-like per-query support', { perQuery: true, afterOutput: true }],
    ['a prefix-like shared support with a position offset', { shared: 3, positionOffset: 3 }],
    ['every site at once', { linear: true, perQuery: true, shared: 2, afterOutput: true, outputs: true }],
  ];
  for (const [name, probe] of methods) {
    it(`emits exactly the tokens of full recomputation at every step: ${name}`, async () => {
      await withProbe(probe, async () => {
        const opts = { inputIds: PROMPTS, tokenTypeIds: TYPES, maxNewTokens: 10 };
        const cached = await generateGreedy(model, opts);
        const full = await generateGreedy(model, { ...opts, useCache: false });
        expect(cached.tokens).toEqual(full.tokens);
        expect(cached.tokens.map((t) => t.length)).toEqual([10, 10, 10]);
        // the rows are not all the same sequence (the test would be weak otherwise)
        expect(new Set(cached.tokens.map((t) => t.join(','))).size).toBeGreaterThan(1);
      });
    });
  }

  it('a left-padded row decodes as it does alone', async () => {
    await withProbe({ perQuery: true, shared: 2, afterOutput: true }, async () => {
      const batched = await generateGreedy(model, { inputIds: PROMPTS, tokenTypeIds: TYPES, maxNewTokens: 10 });
      for (let b = 0; b < PROMPTS.length; b++) {
        const alone = await generateGreedy(model, { inputIds: [PROMPTS[b]!], tokenTypeIds: [TYPES[b]!], maxNewTokens: 10 });
        expect(batched.tokens[b]).toEqual(alone.tokens[0]);
      }
    });
  });

  it('the cache gives the hidden states of the full forward pass (to 1e-5)', async () => {
    await withProbe({ linear: true, perQuery: true, shared: 2, afterOutput: true, outputs: true, positionOffset: 1 }, () => {
      const ids = tf.tensor2d([PROMPTS[0]!], undefined, 'int32');
      const full = model.forward({ inputIds: ids });
      const first = model.forward({ inputIds: tf.slice(ids, [0, 0], [1, 5]) as tf.Tensor2D, useCache: true });
      const second = model.forward({ inputIds: tf.slice(ids, [0, 5], [1, 3]) as tf.Tensor2D, cache: first.cache! });
      expect(second.cache!.length).toBe(8);
      const want = tf.slice(full.hidden, [0, 5, 0], [1, 3, -1]);
      expect(tf.max(tf.abs(tf.sub(want, second.hidden))).dataSync()[0]).toBeLessThan(1e-5);
      disposeCache(first.cache);
      disposeCache(second.cache);
    });
  });

  it('stops a row at its first stop token, which is not kept, and decodes 40 tokens by default', async () => {
    const free = await generateGreedy(model, { inputIds: PROMPTS, tokenTypeIds: TYPES });
    expect(free.tokens.map((t) => t.length)).toEqual([40, 40, 40]);
    expect(free.finishReason).toEqual(['length', 'length', 'length']);
    const stop = free.tokens[1]![4]!;
    const stopped = await generateGreedy(model, { inputIds: PROMPTS, tokenTypeIds: TYPES, stopTokens: [stop] });
    for (let b = 0; b < PROMPTS.length; b++) {
      const at = free.tokens[b]!.indexOf(stop);
      if (at < 0) {
        expect(stopped.tokens[b]).toEqual(free.tokens[b]);
        expect(stopped.finishReason[b]).toBe('length');
      } else {
        expect(stopped.tokens[b]).toEqual(free.tokens[b]!.slice(0, at));
        expect(stopped.finishReason[b]).toBe('stop');
        expect(stopped.stopToken[b]).toBe(stop);
      }
    }
    expect(stopped.tokens[1]!.length).toBeLessThanOrEqual(4);
  });

  it('new tokens continue the last prompt token type unless told otherwise (spec §7.2)', async () => {
    const dflt = await generateGreedy(model, { inputIds: PROMPTS, tokenTypeIds: TYPES, maxNewTokens: 8 });
    const explicit = await generateGreedy(model, { inputIds: PROMPTS, tokenTypeIds: TYPES, maxNewTokens: 8, newTokenTypeIds: [652, 652, 652] });
    const other = await generateGreedy(model, { inputIds: PROMPTS, tokenTypeIds: TYPES, maxNewTokens: 8, newTokenTypeIds: 600 });
    expect(explicit.tokens).toEqual(dflt.tokens);
    expect(other.tokens).not.toEqual(dflt.tokens);
  });

  it('leaks no tensors', async () => {
    await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 2 }); // warm-up (the head's transposed table)
    const before = tf.memory().numTensors;
    await generateGreedy(model, { inputIds: PROMPTS, tokenTypeIds: TYPES, maxNewTokens: 5 });
    await generateGreedy(model, { inputIds: PROMPTS, maxNewTokens: 5, useCache: false });
    expect(tf.memory().numTensors).toBe(before);
  });
});
