// The tiny Llama and Qwen2 checkpoints of test-fixtures/ (tiny-llama/, tiny-qwen2/), in exactly the Hugging Face
// layout, written by @peft/models-llama's seeded writer and a byte-level BPE built here from the GPT-2 fixture's merges
// (test-fixtures/scripts/tokenizer-files.mjs). Deterministic: a test regenerates them and compares the bytes.
//
//     PEFT_WRITE_FIXTURES=1 npx vitest run packages/models-llama/test/fixtures.test.ts     # rewrites them
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRandomLlamaCheckpoint, type RandomLlamaLayout, type RandomLlamaValues } from '@peft/models-llama';
// @ts-expect-error plain ESM JavaScript without type declarations (the GPT-2 fixture's tokenizer generator)
import { CORPUS, FIXTURE_MERGE_COUNT, byteSymbols, learnMerges } from '../../../test-fixtures/scripts/tokenizer-files.mjs';

export const FIXTURES_ROOT = fileURLToPath(new URL('../../../test-fixtures/', import.meta.url));
export const TINY_LLAMA_DIR = 'tiny-llama';
export const TINY_QWEN2_DIR = 'tiny-qwen2';

/** Larger than HF's init so attention is neither uniform nor saturated and norms/biases are not trivial. */
export const TINY_LLAMA_VALUES: RandomLlamaValues = { seed: 20240723, std: 0.2, biasStd: 0.1, normStd: 0.1 };

/** Byte symbols then each merge's result once (656 tokens), as the GPT-2 fixture's base vocabulary. */
function baseVocabulary(): { tokens: string[]; merges: [string, string][] } {
  const merges = learnMerges(CORPUS, FIXTURE_MERGE_COUNT) as [string, string][];
  const tokens: string[] = [...(byteSymbols().vocabOrder as string[])];
  const seen = new Set(tokens);
  for (const [a, b] of merges) {
    if (!seen.has(a + b)) {
      seen.add(a + b);
      tokens.push(a + b);
    }
  }
  return { tokens, merges };
}

const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/** The tokenizer files of a Llama 3-style (`<|begin_of_text|>` prepended) or Qwen2-style (NFC, nothing prepended) BPE. */
export function tokenizerFiles(kind: 'llama' | 'qwen2'): { files: Record<string, string>; vocabSize: number } {
  const { tokens, merges } = baseVocabulary();
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const specials = kind === 'llama' ? ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>'] : ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const added = specials.map((s, i) => special(tokens.length + i, s));
  for (const a of added) vocab[a.content] = a.id;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
  const split = { type: 'Split', pattern: { Regex: kind === 'llama' ? LLAMA3_SPLIT : QWEN2_SPLIT }, behavior: 'Isolated', invert: false };
  const bos = added[0]!;
  const postProcessor =
    kind === 'llama'
      ? {
          type: 'Sequence',
          processors: [
            { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
            {
              type: 'TemplateProcessing',
              single: [{ SpecialToken: { id: bos.content, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
              pair: [
                { SpecialToken: { id: bos.content, type_id: 0 } },
                { Sequence: { id: 'A', type_id: 0 } },
                { SpecialToken: { id: bos.content, type_id: 1 } },
                { Sequence: { id: 'B', type_id: 1 } },
              ],
              special_tokens: { [bos.content]: { id: bos.content, ids: [bos.id], tokens: [bos.content] } },
            },
          ],
        }
      : { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: kind === 'qwen2' ? { type: 'NFC' } : null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split, byteLevel] },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: kind === 'llama',
      vocab,
      merges: merges.map(([a, b]) => [a, b]),
    },
  };
  const tokenizerConfig =
    kind === 'llama'
      ? { bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>', clean_up_tokenization_spaces: true, model_max_length: 131072, tokenizer_class: 'PreTrainedTokenizerFast' }
      : { bos_token: null, eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', clean_up_tokenization_spaces: false, model_max_length: 32768, tokenizer_class: 'Qwen2Tokenizer' };
  return {
    files: {
      'tokenizer.json': `${JSON.stringify(tokenizerJson, null, 2)}\n`,
      'tokenizer_config.json': `${JSON.stringify(tokenizerConfig, null, 2)}\n`,
    },
    vocabSize: tokens.length + specials.length,
  };
}

/**
 * A SentencePiece-style BPE tokenizer.json (Llama 2 / Mistral v0.1 layout): `▁` for spaces (Prepend + Replace
 * normalizer, no pre-tokenizer), `<unk>` `<s>` `</s>` at 0–2, 256 byte-fallback tokens `<0x00>`…`<0xFF>`, then the
 * characters of the corpus and `merges` merges learnt greedily over it; `<s>` prepended by the post-processor.
 */
export function sentencePieceTokenizerFiles(merges = 300): { files: Record<string, string>; vocabSize: number } {
  const words = (CORPUS as string[]).map((line) => `▁${line.replace(/ /g, '▁')}`);
  const chars = [...new Set(words.flatMap((w) => Array.from(w)))].sort();
  const seqs = words.map((w) => Array.from(w));
  const learnt: [string, string][] = [];
  for (let step = 0; step < merges; step++) {
    const counts = new Map<string, number>();
    for (const q of seqs) for (let i = 0; i + 1 < q.length; i++) counts.set(`${q[i]} ${q[i + 1]}`, (counts.get(`${q[i]} ${q[i + 1]}`) ?? 0) + 1);
    let best: string | undefined;
    let n = 0;
    for (const [k, c] of counts) if (c > n || (c === n && k < best!)) [best, n] = [k, c];
    if (best === undefined || n < 2) break;
    const [a, b] = best.split(' ') as [string, string];
    learnt.push([a, b]);
    for (const q of seqs) {
      for (let i = 0; i + 1 < q.length; i++) if (q[i] === a && q[i + 1] === b) q.splice(i, 2, a + b);
    }
  }
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  for (const t of [...chars, ...learnt.map(([a, b]) => a + b)]) if (vocab[t] === undefined) vocab[t] = Object.keys(vocab).length;
  const added = [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')];
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: learnt },
  };
  const tokenizerConfig = { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, add_eos_token: false, clean_up_tokenization_spaces: false, legacy: false, tokenizer_class: 'LlamaTokenizer' };
  return {
    files: { 'tokenizer.json': `${JSON.stringify(tokenizerJson, null, 2)}\n`, 'tokenizer_config.json': `${JSON.stringify(tokenizerConfig, null, 2)}\n` },
    vocabSize: Object.keys(vocab).length,
  };
}

/**
 * Llama 3-style: grouped-query attention (4 query heads, 2 key/value heads), a tied head, `llama3` rope_scaling with
 * an original context of 64 so that its three frequency bands all occur (head size 16), BF16 weights in 2 shards.
 */
export function tinyLlamaConfig(vocabSize: number): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: vocabSize - 3,
    eos_token_id: vocabSize - 2,
    head_dim: 16,
    hidden_act: 'silu',
    hidden_size: 64,
    initializer_range: 0.02,
    intermediate_size: 128,
    max_position_embeddings: 256,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: 4,
    num_hidden_layers: 2,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_scaling: { factor: 8.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 64, rope_type: 'llama3' },
    rope_theta: 10000.0,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    use_cache: true,
    vocab_size: vocabSize,
  };
}
export const TINY_LLAMA_LAYOUT: RandomLlamaLayout = { dtype: 'BF16', shards: 2 };

/** Qwen2-style: q/k/v biases, an untied head, 6 query heads over 2 key/value heads, F16 weights in one file. */
export function tinyQwen2Config(vocabSize: number): Record<string, unknown> {
  return {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: vocabSize - 3,
    eos_token_id: vocabSize - 3,
    hidden_act: 'silu',
    hidden_size: 48,
    initializer_range: 0.02,
    intermediate_size: 96,
    max_position_embeddings: 512,
    max_window_layers: 2,
    model_type: 'qwen2',
    num_attention_heads: 6,
    num_hidden_layers: 2,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000.0,
    sliding_window: 512,
    tie_word_embeddings: false,
    torch_dtype: 'float16',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: vocabSize,
  };
}
export const TINY_QWEN2_LAYOUT: RandomLlamaLayout = { dtype: 'F16', shards: 1 };

/** Writes tiny-llama/ and tiny-qwen2/ (config, weights, tokenizer files) under `root`; returns the files per folder. */
export async function writeLlamaFixtures(root: string = FIXTURES_ROOT): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [dir, kind, config, layout] of [
    [TINY_LLAMA_DIR, 'llama', tinyLlamaConfig, TINY_LLAMA_LAYOUT],
    [TINY_QWEN2_DIR, 'qwen2', tinyQwen2Config, TINY_QWEN2_LAYOUT],
  ] as const) {
    const path = join(root, dir);
    await mkdir(path, { recursive: true });
    const tok = tokenizerFiles(kind);
    for (const [name, text] of Object.entries(tok.files)) await writeFile(join(path, name), text);
    const written = await writeRandomLlamaCheckpoint(path, config(tok.vocabSize), TINY_LLAMA_VALUES, layout);
    out[dir] = [...Object.keys(tok.files), ...written];
  }
  return out;
}
