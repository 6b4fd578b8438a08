import { Rng, serializeSafetensors, writeFileAtomic, type SafetensorsEntry } from '@peft/core';
import { GPT2_MEDIUM_CONFIG, GPT2_SMALL_CONFIG, parseGpt2Config } from '../gpt2/config.js';
import { gpt2TensorShapes } from '../gpt2/load.js';
import { ROBERTA_BASE_CONFIG, parseRobertaConfig } from '../roberta/config.js';
import { robertaClassifierShapes, robertaTensorShapes } from '../roberta/load.js';
import { CONFIG_FILE, WEIGHTS_FILE } from '@peft/models-base';

/** How the values of a random checkpoint are drawn: each tensor from its own stream Rng(seed, name). */
export interface RandomValues {
  readonly seed: number;
  /** Std of the weight matrices and embeddings (HF init: 0.02). */
  readonly std: number;
  /** Std of the biases (HF init: 0). */
  readonly biasStd: number;
  /** Std of LayerNorm γ around 1 and of β around 0 (HF init: 0). */
  readonly layerNormStd: number;
}

export const HF_INIT_VALUES: RandomValues = Object.freeze({ seed: 0, std: 0.02, biasStd: 0, layerNormStd: 0 });

function randomTensor(name: string, shape: readonly number[], v: RandomValues): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const isLn = /(ln_\d|ln_f|LayerNorm)\.(weight|bias)$/.test(name);
  const isBias = name.endsWith('.bias');
  const std = isLn ? v.layerNormStd : isBias ? v.biasStd : v.std;
  const base = isLn && name.endsWith('.weight') ? 1 : 0;
  if (std === 0) return out.fill(base);
  const rng = Rng.forParameter(v.seed, name);
  for (let i = 0; i < size; i++) out[i] = base + std * rng.normal();
  return out;
}

function entries(shapes: Map<string, number[]>, v: RandomValues): Map<string, SafetensorsEntry> {
  const out = new Map<string, SafetensorsEntry>();
  for (const [name, shape] of shapes) {
    const values = randomTensor(name, shape, v);
    out.set(name, { dtype: 'F32', shape, data: new Uint8Array(values.buffer) });
  }
  return out;
}

async function writeCheckpoint(dir: string, config: Record<string, unknown>, tensors: Map<string, SafetensorsEntry>): Promise<void> {
  const { join } = await import('node:path');
  await writeFileAtomic(join(dir, WEIGHTS_FILE), serializeSafetensors(tensors, { format: 'pt' }));
  await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}

/**
 * Writes a random GPT-2 checkpoint in the exact HF layout: `config` is config.json (HF field names); the tensors carry
 * HF names (`h.{i}.attn.c_attn.weight`, Conv1D [in, out]), no prefix, as the `gpt2` repository stores them.
 */
export async function writeRandomGpt2Checkpoint(
  dir: string,
  config: Record<string, unknown>,
  values: RandomValues = HF_INIT_VALUES,
): Promise<void> {
  const c = parseGpt2Config(config);
  const tensors = entries(gpt2TensorShapes(c), values);
  return writeCheckpoint(dir, config, tensors);
}

/**
 * Writes a random RoBERTa checkpoint in the exact HF layout (`roberta.` prefix, nn.Linear [out, in], the int64
 * `embeddings.position_ids` buffer, and a pooler), with a classification head only if `withClassifier`.
 */
export async function writeRandomRobertaCheckpoint(
  dir: string,
  config: Record<string, unknown>,
  values: RandomValues = HF_INIT_VALUES,
  options: { withClassifier?: boolean } = {},
): Promise<void> {
  const c = parseRobertaConfig(config);
  const d = c.hiddenSize;
  const shapes = new Map<string, number[]>();
  for (const [name, shape] of robertaTensorShapes(c)) shapes.set(`roberta.${name}`, shape);
  shapes.set('roberta.pooler.dense.weight', [d, d]).set('roberta.pooler.dense.bias', [d]);
  if (options.withClassifier) for (const [name, shape] of robertaClassifierShapes(d, c.numLabels)) shapes.set(name, shape);
  const tensors = entries(shapes, values);
  const positions = new Uint8Array(8 * c.maxPositions);
  const view = new DataView(positions.buffer);
  for (let i = 0; i < c.maxPositions; i++) view.setBigInt64(8 * i, BigInt(i), true);
  tensors.set('roberta.embeddings.position_ids', { dtype: 'I64', shape: [1, c.maxPositions], data: positions });
  return writeCheckpoint(dir, config, tensors);
}

/**
 * A GPT-2-small-SHAPED random checkpoint (12 layers × 768, vocab 50,257, 1024 positions; weights N(0, 0.02), biases 0,
 * LayerNorm 1/0) for benchmarks: about 500 MB, written in a few seconds.
 */
export async function generateGpt2SmallShaped(dir: string, options: { seed?: number } = {}): Promise<void> {
  await writeRandomGpt2Checkpoint(dir, { ...GPT2_SMALL_CONFIG }, { ...HF_INIT_VALUES, seed: options.seed ?? 0 });
}

/**
 * A GPT-2-medium-SHAPED random checkpoint (24 layers × 1024, 16 heads, vocab 50,257, 1024 positions; HF init values)
 * for benchmarks: about 1.4 GB.
 */
export async function generateGpt2MediumShaped(dir: string, options: { seed?: number } = {}): Promise<void> {
  await writeRandomGpt2Checkpoint(dir, { ...GPT2_MEDIUM_CONFIG }, { ...HF_INIT_VALUES, seed: options.seed ?? 0 });
}

/**
 * A RoBERTa-base-SHAPED random checkpoint with a classification head of `numLabels` classes (12 layers × 768, vocab
 * 50,265, 514 positions; HF init values) for benchmarks: about 500 MB. MNLI's head has 3 classes.
 */
export async function generateRobertaBaseShaped(dir: string, options: { seed?: number; numLabels?: number } = {}): Promise<void> {
  const config = { ...ROBERTA_BASE_CONFIG, architectures: ['RobertaForSequenceClassification'], num_labels: options.numLabels ?? 3 };
  await writeRandomRobertaCheckpoint(dir, config, { ...HF_INIT_VALUES, seed: options.seed ?? 0 }, { withClassifier: true });
}
