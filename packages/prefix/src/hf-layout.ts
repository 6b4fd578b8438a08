import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, MissingTensorError, TensorShapeMismatchError, keyValueHeads, sameShape, type ModelSpec } from '@peft/core';
import { prefixWidth, shiftsPositions, type ResolvedPrefixConfig } from './config.js';
import type { LayerPrefix } from './prefixes.js';

/** The one tensor of Hugging Face PEFT's PREFIX_TUNING adapter file: the prefix encoder's embedding. */
export const HF_PREFIX_TENSOR = 'prompt_embeddings';

/**
 * The plain prefixes as PEFT's `prompt_embeddings` [L, n_layer·2·d]: PEFT views a row as [n_layer·2, H, p] and takes
 * index 2ℓ as layer ℓ's keys and 2ℓ + 1 as its values, so column ((2ℓ + kv)·H + head)·p + dim holds that entry of
 * layer ℓ's keys (kv = 0) or values (kv = 1) [H_kv, L, p]. A new tensor, owned by the caller.
 */
export function prefixesToHfEmbeddings(layer: (l: number) => LayerPrefix, spec: ModelSpec): tf.Tensor2D {
  return tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (let l = 0; l < spec.numLayers; l++) {
      const { keys, values } = layer(l);
      for (const t of [keys, values]) {
        const L = t.shape[1];
        parts.push(tf.reshape(tf.transpose(t, [1, 0, 2]), [L, prefixWidth(spec)])); // [H_kv, L, p] → [L, H_kv·p]
      }
    }
    return tf.concat(parts, 1) as tf.Tensor2D;
  });
}

/** The inverse of {@link prefixesToHfEmbeddings}: `layers.{ℓ}.keys` / `.values` [H_kv, L, p], new tensors. */
export function hfEmbeddingsToPrefixes(embeddings: tf.Tensor, spec: ModelSpec, length: number, source: string): Record<string, tf.Tensor> {
  const width = spec.numLayers * 2 * prefixWidth(spec);
  if (!sameShape(embeddings.shape, [length, width])) throw new TensorShapeMismatchError(source, HF_PREFIX_TENSOR, [length, width], embeddings.shape);
  const out: Record<string, tf.Tensor> = {};
  tf.tidy(() => {
    const x = tf.cast(embeddings, 'float32');
    const kv = tf.transpose(tf.reshape(x, [length, spec.numLayers * 2, keyValueHeads(spec), spec.headDim]), [1, 2, 0, 3]); // [2n, H_kv, L, p]
    tf.unstack(kv, 0).forEach((t, i) => (out[`layers.${i >> 1}.${i & 1 ? 'values' : 'keys'}`] = tf.keep(t)));
  });
  return out;
}

/**
 * PEFT's PrefixTuningConfig fields for these prefixes on `spec`, or none when PEFT would compute something else: a
 * causal LM whose Hugging Face implementation starts new positions after the cache (`pastShiftsPositions`), with
 * position ids shifted by L. Under grouped-query attention PEFT sets token_dim = H_kv·p and num_attention_heads =
 * H_kv (peft.utils.other._prepare_prompt_learning_config), as written here.
 */
export function huggingFacePrefixFields(config: ResolvedPrefixConfig, spec: ModelSpec): Record<string, unknown> {
  if (spec.hf?.taskType !== 'CAUSAL_LM' || spec.pastShiftsPositions !== true || !shiftsPositions(config, spec)) return {};
  return {
    peft_type: 'PREFIX_TUNING',
    task_type: spec.hf.taskType,
    base_model_name_or_path: null,
    revision: null,
    inference_mode: true,
    num_virtual_tokens: config.length,
    token_dim: prefixWidth(spec),
    num_transformer_submodules: 1,
    num_attention_heads: keyValueHeads(spec),
    num_layers: spec.numLayers,
    // the file stores the prefixes themselves, as PEFT saves them in inference mode: no projection to rebuild
    encoder_hidden_size: config.midDim,
    prefix_projection: false,
  };
}

/** The PEFT PREFIX_TUNING config fields @peft reads, checked against `spec`; each refusal names its field. */
export function prefixLengthFromHfConfig(cfg: Record<string, unknown>, spec: ModelSpec, path: string): number {
  if (cfg.peft_type !== 'PREFIX_TUNING') throw new ConfigError('peft_type', `${path}: is ${JSON.stringify(cfg.peft_type)}, not 'PREFIX_TUNING'`);
  const want: [string, number][] = [
    ['token_dim', prefixWidth(spec)],
    ['num_attention_heads', keyValueHeads(spec)],
    ['num_layers', spec.numLayers],
  ];
  for (const [field, v] of want) {
    if (cfg[field] !== undefined && cfg[field] !== null && cfg[field] !== v) {
      throw new ConfigError(field, `${path}: is ${JSON.stringify(cfg[field])} in the adapter, but ${v} in this model (an adapter for another base)`);
    }
  }
  const subs = cfg.num_transformer_submodules;
  if (subs !== undefined && subs !== null && subs !== 1) throw new ConfigError('num_transformer_submodules', `${path}: is ${JSON.stringify(subs)}; only 1 (a decoder or an encoder) is supported`);
  const L = cfg.num_virtual_tokens;
  if (!(Number.isInteger(L) && (L as number) > 0)) throw new ConfigError('num_virtual_tokens', `${path}: must be a positive integer, got ${JSON.stringify(L)}`);
  return L as number;
}

/** `prompt_embeddings` of a tensor record, or a missing-tensor error naming it. */
export function hfPrefixTensor(tensors: Record<string, tf.Tensor>, source: string): tf.Tensor {
  const t = tensors[HF_PREFIX_TENSOR];
  if (!t) throw new MissingTensorError(source, HF_PREFIX_TENSOR);
  for (const k of Object.keys(tensors)) if (k !== HF_PREFIX_TENSOR) throw new ConfigError(k, `${source} holds a tensor a PREFIX_TUNING adapter does not have`);
  return t;
}
