// @peft's Llama-family models against the values transformers 5 recorded for the committed fixtures
// (test/golden/hf-reference.json; the e2e test hf-parity.e2e.test.ts recomputes them live).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLlama, loadLlamaTokenizer } from '@peft/models-llama';
import { FIXTURES_ROOT, TINY_LLAMA_DIR, TINY_QWEN2_DIR } from './fixtures.js';
import { peftGreedy, peftLogits, readReference, relativeError } from './reference.js';

const reference = readReference();

describe.each([TINY_LLAMA_DIR, TINY_QWEN2_DIR])('%s against transformers (golden values)', (dir) => {
  const ref = reference.fixtures[dir]!;

  it('logits at every real position of a left-padded batch equal transformers within 1e-5 relative', async () => {
    const model = await loadLlama(join(FIXTURES_ROOT, dir));
    try {
      expect(model.loadReport.unusedTensors).toEqual([]);
      const ours = peftLogits(model, ref.rows);
      expect(ours.map((r) => r.length)).toEqual(ref.rows.map((r) => r.length));
      const err = relativeError(ours, ref.logits);
      console.log(`${dir}: logits max relative error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-5);
      // the values are not trivial: the rows' logits differ by far more than the tolerance
      expect(relativeError([ours[0]!.slice(0, 1)], [ours[1]!.slice(0, 1)])).toBeGreaterThan(1e-2);
    } finally {
      model.dispose();
    }
  });

  it('the rotary inverse frequencies equal transformers within float32 rounding', async () => {
    const model = await loadLlama(join(FIXTURES_ROOT, dir));
    try {
      const ours = Array.from(model.inverseFrequencies);
      expect(ours).toHaveLength(ref.inv_freq.length);
      ours.forEach((v, i) => expect(Math.abs(v - ref.inv_freq[i]!) / ref.inv_freq[i]!).toBeLessThan(2e-7));
    } finally {
      model.dispose();
    }
  });

  it('cached greedy decoding of the padded batch gives transformers’ generate() tokens', async () => {
    const model = await loadLlama(join(FIXTURES_ROOT, dir));
    try {
      expect(await peftGreedy(model, ref.rows, ref.greedy[0]!.length)).toEqual(ref.greedy);
    } finally {
      model.dispose();
    }
  });

  it('tokenizer.json encodes and decodes as the tokenizers library does', async () => {
    const tok = await loadLlamaTokenizer(join(FIXTURES_ROOT, dir));
    for (const t of ref.tokens) {
      expect(tok.encode(t.text), t.text).toEqual(t.ids);
      expect(tok.encode(t.text, { addSpecialTokens: false }), t.text).toEqual(t.plain);
      expect(tok.decode(t.ids), t.text).toBe(t.decoded);
    }
  });
});
