import * as tf from '@tensorflow/tfjs-core';
import { PeftError, ShapeError, leanAdd, type AttentionSupports, type ModelSpec, type ParameterSet, type SupportsInput } from '@peft/core';
import type { InducerConfig } from './config.js';
import { extendedValue, headwiseMlp } from './mlp.js';
import { keyParamName, valueParamName } from './parameters.js';

/**
 * The inducer's key P_k [B, H, n, p] for queries Q (post-LoRA, head-split):
 * r_k ≥ 2: Q + MLP_k(Q); r_k = 1: Q; r_k = 0 (adaptive): √i·Q, so that ⟨Q, P_k⟩/√p = |Q|²·√i/√p with
 * i = queryOffset + local index + 1, the 1-based absolute position.
 */
export function inducerKeys(q: tf.Tensor4D, queryOffset: number, config: InducerConfig, params: ParameterSet, layer: number): tf.Tensor4D {
  return tf.tidy(() => {
    if (config.keyRank >= 2) {
      const p = (part: 'A' | 'b1' | 'B' | 'b2') => params.get(keyParamName(layer, part));
      return leanAdd<tf.Tensor4D>(q, headwiseMlp(q, p('A'), p('b1'), p('B'), p('b2')));
    }
    if (config.keyRank === 1) return tf.clone(q);
    const n = q.shape[2];
    const sqrtPos = tf.reshape(tf.sqrt(tf.range(queryOffset + 1, queryOffset + n + 1, 1, 'float32')), [1, 1, n, 1]);
    return tf.mul(q, sqrtPos) as tf.Tensor4D;
  });
}

/**
 * The `attn.supports` hook of one layer. Everything is per query head, with or without grouped-query attention: the
 * model hands over the H query heads (rotated, under rotary positions) and the keys/values already repeated to H
 * heads, so P_k is built from each query head's own (rotated) query, and the support's logit ⟨Q_i, P_k,i⟩/√p needs no
 * key at all. The value MLP reads the same per-head query: without the extension it gives each query head its own
 * support value [B, H, n, p] (not shared within a key/value group; the kernel's values are per query head after the
 * repeat); with the extension (MLP_v̄) its output is d wide and is added after W_o, where heads no longer exist.
 */
export function inducerSupports(
  input: SupportsInput,
  config: InducerConfig,
  spec: ModelSpec,
  params: ParameterSet,
  layer: number,
  ignorePadding: boolean,
): AttentionSupports {
  const { q, queryOffset } = input;
  if (q.rank !== 4 || q.shape[1] !== spec.numHeads || q.shape[3] !== spec.headDim) {
    throw new ShapeError('q', [-1, spec.numHeads, -1, spec.headDim], q.shape, `inducer layer ${layer}`);
  }
  const v = (part: 'A' | 'b1' | 'B' | 'b2') => params.get(valueParamName(layer, part));
  const keys = inducerKeys(q, queryOffset, config, params, layer);
  const mode = config.gating ? 'absolute' : 'residual';
  if (!config.valueExtension) {
    // per-head MLP_v, λ-weighted with its bias, added before W_o: the per-query support's value (residual: f(Q) + m)
    const values = tf.tidy(() => headwiseMlp(q, v('A'), v('b1'), v('B'), v('b2')));
    return { perQuery: { keys, values, mode, lambdaIgnoresPaddingMask: ignorePadding } };
  }
  return {
    perQuery: { keys, mode, lambdaIgnoresPaddingMask: ignorePadding },
    afterOutput: (lambda) => {
      if (!lambda) throw new PeftError('E_NO_LAMBDA', `inducer layer ${layer}: afterOutput needs λ, but the model passed none`);
      return extendedValue(q, lambda, v('A'), v('b1'), v('B'), v('b2'));
    },
  };
}
