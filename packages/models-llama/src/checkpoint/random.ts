import { Rng, serializeSafetensors, typedArrayToEntry, writeFileAtomic, type SafetensorsEntry } from '@peft/core';
import { CONFIG_FILE, WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from '@peft/models-base';
import { parseLlamaConfig } from '../config.js';
import { llamaTensorShapes } from '../load.js';

/** How the values of a random checkpoint are drawn: each tensor from its own stream Rng(seed, name). */
export interface RandomLlamaValues {
  readonly seed: number;
  /** Std of the weight matrices and the embedding (HF init: 0.02). */
  readonly std: number;
  /** Std of the biases (HF init: 0). */
  readonly biasStd: number;
  /** Std of the RMSNorm weights around 1 (HF init: 0). */
  readonly normStd: number;
}

export const LLAMA_HF_INIT_VALUES: RandomLlamaValues = Object.freeze({ seed: 0, std: 0.02, biasStd: 0, normStd: 0 });

export interface RandomLlamaLayout {
  /** The dtype the weights are stored in (default F32). */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
  /**
   * Split the weights into this many `model-0000k-of-0000n.safetensors` files listed by `model.safetensors.index.json`
   * (tensors in name order, cut into runs of about equal bytes); 1 (default) writes one `model.safetensors`.
   */
  readonly shards?: number;
}

function randomTensor(name: string, shape: readonly number[], v: RandomLlamaValues): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const isNorm = /(layernorm|norm)\.weight$/.test(name);
  const std = isNorm ? v.normStd : name.endsWith('.bias') ? v.biasStd : v.std;
  const base = isNorm ? 1 : 0;
  if (std === 0) return out.fill(base);
  const rng = Rng.forParameter(v.seed, name);
  for (let i = 0; i < size; i++) out[i] = base + std * rng.normal();
  return out;
}

/**
 * Writes a random Llama-family checkpoint in the exact Hugging Face layout: `config` is config.json (HF field names,
 * `model_type` llama / qwen2 / mistral); the tensors carry HF names (`model.layers.{i}.self_attn.q_proj.weight`
 * [out, in]), in `layout.dtype`, in one file or `layout.shards` files with their index. Deterministic: the same
 * arguments give the same bytes.
 */
export async function writeRandomLlamaCheckpoint(
  dir: string,
  config: Record<string, unknown>,
  values: RandomLlamaValues = LLAMA_HF_INIT_VALUES,
  layout: RandomLlamaLayout = {},
): Promise<string[]> {
  const { join } = await import('node:path');
  const { mkdir } = await import('node:fs/promises');
  const c = parseLlamaConfig(config);
  const dtype = layout.dtype ?? 'F32';
  const shards = layout.shards ?? 1;
  const entries: [string, SafetensorsEntry][] = [...llamaTensorShapes(c)]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, shape]) => [name, typedArrayToEntry(randomTensor(name, shape, values), shape, dtype)]);
  await mkdir(dir, { recursive: true });
  const written: string[] = [CONFIG_FILE];
  if (shards <= 1) {
    await writeFileAtomic(join(dir, WEIGHTS_FILE), serializeSafetensors(new Map(entries), { format: 'pt' }));
    written.push(WEIGHTS_FILE);
  } else {
    const total = entries.reduce((a, [, e]) => a + e.data.byteLength, 0);
    const groups: [string, SafetensorsEntry][][] = Array.from({ length: shards }, () => []);
    let acc = 0;
    for (const entry of entries) {
      const k = Math.min(shards - 1, Math.floor((acc * shards) / total));
      groups[k]!.push(entry);
      acc += entry[1].data.byteLength;
    }
    const pad = (k: number) => String(k).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    for (const [k, group] of groups.entries()) {
      const file = `model-${pad(k + 1)}-of-${pad(shards)}.safetensors`;
      for (const [name] of group) weightMap[name] = file;
      await writeFileAtomic(join(dir, file), serializeSafetensors(new Map(group), { format: 'pt' }));
      written.push(file);
    }
    const index = { metadata: { total_size: total }, weight_map: weightMap };
    await writeFileAtomic(join(dir, WEIGHTS_INDEX_FILE), JSON.stringify(index, null, 2) + '\n');
    written.push(WEIGHTS_INDEX_FILE);
  }
  await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  return written;
}

/** config.json of SmolLM2-135M (HuggingFaceTB/SmolLM2-135M): 30 layers × 576, 9 heads, 3 key/value heads, tied. */
export const SMOLLM2_135M_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  max_position_embeddings: 8192,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_cache: true,
  vocab_size: 49152,
});

/** A SmolLM2-135M-SHAPED random checkpoint (HF init values, F32) for benchmarks: about 540 MB. */
export async function generateSmolLm2Shaped(dir: string, options: { seed?: number } = {}): Promise<void> {
  await writeRandomLlamaCheckpoint(dir, { ...SMOLLM2_135M_CONFIG }, { ...LLAMA_HF_INIT_VALUES, seed: options.seed ?? 0 });
}
