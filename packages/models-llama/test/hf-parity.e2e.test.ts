// @peft/models-llama against the real thing, live: transformers + PyTorch (CPU) in a venv made from the machine's local
// Python package index (`pip config list`), cached in test-output/hf-venv (the HF interop e2e's venv). Without that
// index the test says so and skips (outside CI; under CI=true a missing part fails). It runs test/hf/reference.py on
// the committed fixtures and on a Mistral checkpoint with a sliding window written here, compares @peft with it, and
// checks that the committed golden values (which the CI tests use) are what transformers computes today;
// PEFT_WRITE_FIXTURES=1 rewrites them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLlama, loadLlamaTokenizer, writeRandomLlamaCheckpoint } from '@peft/models-llama';
import { pythonOrReason } from './hf-venv.js';
import { FIXTURES_ROOT, TINY_LLAMA_DIR, TINY_LLAMA_VALUES, TINY_QWEN2_DIR, sentencePieceTokenizerFiles, tinyLlamaConfig } from './fixtures.js';
import { GOLDEN_PATH, REFERENCE_SCRIPT, peftGreedy, peftLogits, readReference, relativeError, type Reference } from './reference.js';

const TOL = 1e-5;

const py = pythonOrReason();
if (!py.python) {
  if (process.env.CI === 'true') throw new Error(`models-llama hf-parity e2e: ${py.reason}`);
  console.warn(`SKIPPED models-llama hf-parity e2e: ${py.reason}`);
}

const work = mkdtempSync(join(tmpdir(), 'peft-llama-parity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const MISTRAL = join(work, 'tiny-mistral');

/**
 * A Mistral checkpoint whose 4-key sliding window cuts into the 9-token rows (F32, one file), with a SentencePiece-style
 * tokenizer.json (▁ spaces, byte fallback) as Mistral v0.1 and Llama 2 ship.
 */
async function writeMistral(): Promise<void> {
  const tok = sentencePieceTokenizerFiles();
  const config = { ...tinyLlamaConfig(Math.max(tok.vocabSize, 700)), architectures: ['MistralForCausalLM'], model_type: 'mistral', sliding_window: 4, rope_scaling: null, rope_theta: 1e6, tie_word_embeddings: false, torch_dtype: 'float32' };
  for (const k of ['attention_bias', 'mlp_bias']) delete (config as Record<string, unknown>)[k];
  await writeRandomLlamaCheckpoint(MISTRAL, config, { ...TINY_LLAMA_VALUES, seed: 77 }, { dtype: 'F32' });
  for (const [name, text] of Object.entries(tok.files)) writeFileSync(join(MISTRAL, name), text);
}

// lint-tests: allow under CI=true a missing Python index throws above, so this skip is never taken there
describe.skipIf(!py.python)('models-llama against transformers, live (reference.py in the venv)', () => {
  const out = join(work, 'reference.json');
  const run = async () => {
    await writeMistral();
    execFileSync(py.python!, [REFERENCE_SCRIPT, out, join(FIXTURES_ROOT, TINY_LLAMA_DIR), join(FIXTURES_ROOT, TINY_QWEN2_DIR), MISTRAL], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
    return readReference(out);
  };
  let live: Awaited<ReturnType<typeof run>> | undefined;
  const reference = async () => (live ??= await run());

  it.each([
    [TINY_LLAMA_DIR, 'LlamaForCausalLM'],
    [TINY_QWEN2_DIR, 'Qwen2ForCausalLM'],
    ['tiny-mistral', 'MistralForCausalLM'],
  ])('%s: logits within 1e-5 relative, inv_freq, generate() tokens and tokenizer ids equal', async (dir, cls) => {
    const ref = (await reference()).fixtures[dir]!;
    expect(ref.model_class).toBe(cls);
    const folder = dir === 'tiny-mistral' ? MISTRAL : join(FIXTURES_ROOT, dir);
    const model = await loadLlama(folder);
    try {
      const err = relativeError(peftLogits(model, ref.rows), ref.logits);
      console.log(`${dir}: logits max relative error ${err.toExponential(2)} (transformers ${(await reference()).transformers})`);
      expect(err).toBeLessThan(TOL);
      Array.from(model.inverseFrequencies).forEach((v, i) => expect(Math.abs(v - ref.inv_freq[i]!) / ref.inv_freq[i]!).toBeLessThan(2e-7));
      expect(await peftGreedy(model, ref.rows, ref.greedy[0]!.length)).toEqual(ref.greedy);
      expect(model.baseParameterCount()).toBe(ref.parameters);
    } finally {
      model.dispose();
    }
    const tok = await loadLlamaTokenizer(folder);
    for (const t of ref.tokens) {
      expect(tok.encode(t.text)).toEqual(t.ids);
      expect(tok.encode(t.text, { addSpecialTokens: false })).toEqual(t.plain);
      expect(tok.decode(t.ids)).toBe(t.decoded);
    }
    // the SentencePiece-style vocabulary has no ☃: its UTF-8 bytes fall back to byte tokens
    if (dir === 'tiny-mistral') expect(tok.tokenize('Snow ☃')).toEqual(expect.arrayContaining(['<0xE2>', '<0x98>', '<0x83>']));
  });

  it('the sliding window matters in that check: without it the Mistral logits are far from transformers', async () => {
    const ref = (await reference()).fixtures['tiny-mistral']!;
    const full = join(work, 'tiny-mistral-full');
    cpSync(MISTRAL, full, { recursive: true });
    const config = JSON.parse(readFileSync(join(full, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(full, 'config.json'), JSON.stringify({ ...config, sliding_window: null }));
    const model = await loadLlama(full);
    try {
      expect(relativeError(peftLogits(model, ref.rows), ref.logits)).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  });

  it('the committed golden values are what transformers computes today (PEFT_WRITE_FIXTURES=1 rewrites them)', async () => {
    const liveRef = await reference();
    const golden: Reference = { ...liveRef, fixtures: { [TINY_LLAMA_DIR]: liveRef.fixtures[TINY_LLAMA_DIR]!, [TINY_QWEN2_DIR]: liveRef.fixtures[TINY_QWEN2_DIR]! } };
    if (process.env.PEFT_WRITE_FIXTURES === '1') writeFileSync(GOLDEN_PATH, `${JSON.stringify(golden)}\n`);
    const committed = readReference();
    for (const dir of [TINY_LLAMA_DIR, TINY_QWEN2_DIR]) {
      const c = committed.fixtures[dir]!;
      const l = golden.fixtures[dir]!;
      expect(relativeError(c.logits, l.logits), dir).toBeLessThan(1e-7);
      expect({ ...c, logits: [] }).toEqual({ ...l, logits: [] });
    }
  });
});
