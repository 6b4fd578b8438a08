/**
 * The tiny GPT-2 and RoBERTa checkpoints of test-fixtures/, in exactly the Hugging Face layout (config.json with HF
 * field names; model.safetensors with HF tensor names and shapes). Deterministic: the same vocab sizes give the same
 * bytes (a test compares their sha256 with the committed files).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomGpt2Checkpoint, writeRandomRobertaCheckpoint, type RandomValues } from '@peft/models-gpt2-roberta';

/** Larger than HF's init so attention is neither uniform nor saturated, and biases/LayerNorms are not trivial. */
export const TINY_VALUES: RandomValues = { seed: 20221027, std: 0.2, biasStd: 0.05, layerNormStd: 0.1 };

/** The vocabulary size when no tokenizer fixture exists yet. */
export const DEFAULT_TINY_VOCAB = 1000;

export function tinyGpt2Config(vocabSize: number): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    activation_function: 'gelu_new',
    attn_pdrop: 0.1,
    bos_token_id: vocabSize - 1,
    embd_pdrop: 0.1,
    eos_token_id: vocabSize - 1,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-5,
    n_ctx: 128,
    n_embd: 32,
    n_head: 4,
    n_inner: null,
    n_layer: 2,
    n_positions: 128,
    resid_pdrop: 0.1,
    vocab_size: vocabSize,
  };
}

export function tinyRobertaConfig(vocabSize: number): Record<string, unknown> {
  return {
    model_type: 'roberta',
    architectures: ['RobertaForMaskedLM'],
    attention_probs_dropout_prob: 0.1,
    bos_token_id: 0,
    eos_token_id: 2,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: 32,
    initializer_range: 0.02,
    intermediate_size: 64,
    layer_norm_eps: 1e-5,
    max_position_embeddings: 130,
    num_attention_heads: 4,
    num_hidden_layers: 2,
    pad_token_id: 1,
    type_vocab_size: 1,
    vocab_size: vocabSize,
  };
}

/**
 * The vocabulary a tokenizer fixture in `dir` needs: 1 + the largest id of vocab.json and of tokenizer.json's
 * added tokens; `fallback` when there are no tokenizer files.
 */
export async function fixtureVocabSize(dir: string, fallback = DEFAULT_TINY_VOCAB): Promise<number> {
  let max = -1;
  try {
    const vocab = JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    for (const id of Object.values(vocab)) max = Math.max(max, id);
  } catch {
    return fallback;
  }
  try {
    const tok = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens?: { id: number }[] };
    for (const t of tok.added_tokens ?? []) max = Math.max(max, t.id);
  } catch {
    // no tokenizer.json: vocab.json alone
  }
  return max + 1;
}

export const TINY_GPT2_DIR = 'tiny-gpt2';
export const TINY_ROBERTA_DIR = 'tiny-roberta';

/** Writes tiny-gpt2/ and tiny-roberta/ (config.json + model.safetensors) under `root`. */
export async function writeTinyCheckpoints(root: string, vocab: { gpt2: number; roberta: number }): Promise<void> {
  await writeRandomGpt2Checkpoint(join(root, TINY_GPT2_DIR), tinyGpt2Config(vocab.gpt2), TINY_VALUES);
  await writeRandomRobertaCheckpoint(join(root, TINY_ROBERTA_DIR), tinyRobertaConfig(vocab.roberta), TINY_VALUES);
}

/** The vocab sizes the committed tokenizer fixtures under `root` call for. */
export async function tinyVocabSizes(root: string): Promise<{ gpt2: number; roberta: number }> {
  return {
    gpt2: await fixtureVocabSize(join(root, TINY_GPT2_DIR)),
    roberta: await fixtureVocabSize(join(root, TINY_ROBERTA_DIR)),
  };
}
