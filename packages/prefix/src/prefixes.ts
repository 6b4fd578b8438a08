import * as tf from '@tensorflow/tfjs-core';
import {
  kaimingUniform,
  keyValueHeads,
  normal,
  uniform,
  zeros,
  type Initializer,
  type ModelSpec,
  type ParameterSet,
} from '@peft/core';
import { prefixWidth, type ResolvedPrefixConfig } from './config.js';

/** One layer's prefix keys and values, each [H_kv, L, p]. */
export interface LayerPrefix {
  readonly keys: tf.Tensor3D;
  readonly values: tf.Tensor3D;
}

/**
 * The reparameterisation Embedding(L, d) → Linear(d, m) → tanh → Linear(m, n_layer·2·d); Linear weights [in, out].
 * The output Linear is held as n_layer blocks Linear(m, 2d), block ℓ being its columns [2ℓ·d, (2ℓ + 2)·d): the same
 * map, but a layer reads its own variable instead of slicing (and, in training, padding the gradient of) one
 * [m, n_layer·2d] matrix.
 */
export interface ReparameterizationWeights {
  /** [L, d] */
  readonly embedding: tf.Variable;
  /** [d, m], [m] */
  readonly inWeight: tf.Variable;
  readonly inBias: tf.Variable;
  /** per layer: [m, 2d], [2d] */
  readonly outWeights: readonly tf.Variable[];
  readonly outBiases: readonly tf.Variable[];
}

/** The parameter names and shapes of the reparameterisation, with the config's initialisers. */
export function reparameterizationShapes(
  config: ResolvedPrefixConfig,
  spec: ModelSpec,
): { name: string; shape: number[]; init: Initializer }[] {
  const { length: L, midDim: m } = config;
  const d = prefixWidth(spec); // H_kv·p: d without grouped-query attention
  const hf = config.init === 'hf';
  const bias = (fanIn: number) => (hf ? zeros : uniform(-1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
  const rows = [
    { name: 'embedding', shape: [L, d], init: normal(hf ? 0.02 : 1) },
    { name: 'mlp.0.weight', shape: [d, m], init: hf ? normal(0.02) : kaimingUniform(d) },
    { name: 'mlp.0.bias', shape: [m], init: bias(d) },
  ];
  for (let layer = 0; layer < spec.numLayers; layer++) {
    rows.push(
      { name: `mlp.2.${layer}.weight`, shape: [m, 2 * d], init: hf ? normal(0.02) : kaimingUniform(m) },
      { name: `mlp.2.${layer}.bias`, shape: [2 * d], init: bias(m) },
    );
  }
  return rows;
}

export function createReparameterization(
  params: ParameterSet,
  config: ResolvedPrefixConfig,
  spec: ModelSpec,
  seed: number,
): ReparameterizationWeights {
  const v = new Map<string, tf.Variable>();
  for (const row of reparameterizationShapes(config, spec)) v.set(row.name, params.create(row.name, row.shape, row.init, seed));
  const layers = Array.from({ length: spec.numLayers }, (_, l) => l);
  return {
    embedding: v.get('embedding')!,
    inWeight: v.get('mlp.0.weight')!,
    inBias: v.get('mlp.0.bias')!,
    outWeights: layers.map((l) => v.get(`mlp.2.${l}.weight`)!),
    outBiases: layers.map((l) => v.get(`mlp.2.${l}.bias`)!),
  };
}

/**
 * Layer ℓ's prefix from the MLP. The MLP's flat output index is ((2ℓ + kv)·N_h + head)·p + dim, so layer ℓ's block
 * gives [L, 2d] with columns (kv·N_h + head)·p + dim. The hidden layer tanh(E·W_in + b_in) [L, m] is the same for
 * every layer and is recomputed per layer (L·d·m multiply-adds), so no tensor outlives a hook call.
 */
export function reparameterizedLayerPrefix(
  w: ReparameterizationWeights,
  layer: number,
  spec: ModelSpec,
  dropout: (x: tf.Tensor2D) => tf.Tensor2D = (x) => x,
): LayerPrefix {
  const [keys, values] = tf.tidy(() => {
    const hidden = tf.tanh(tf.add(tf.matMul(w.embedding, w.inWeight), w.inBias)) as tf.Tensor2D; // [L, m]
    const out = dropout(tf.add(tf.matMul(hidden, w.outWeights[layer]!), w.outBiases[layer]!) as tf.Tensor2D); // [L, 2d]
    const split = splitKeysValues(out, spec);
    return [split.keys, split.values];
  }) as [tf.Tensor3D, tf.Tensor3D];
  return { keys, values };
}

/** [L, 2w] with columns (kv·H_kv + head)·p + dim → keys and values [H_kv, L, p] (the layer repeats them to H heads under grouped-query attention). */
export function splitKeysValues(out: tf.Tensor2D, spec: ModelSpec): LayerPrefix {
  const [keys, values] = tf.tidy(() => {
    const L = out.shape[0];
    const kv = tf.transpose(tf.reshape(out, [L, 2, keyValueHeads(spec), spec.headDim]), [1, 2, 0, 3]); // [2, H_kv, L, p]
    return tf.unstack(kv, 0);
  }) as [tf.Tensor3D, tf.Tensor3D];
  return { keys, values };
}
