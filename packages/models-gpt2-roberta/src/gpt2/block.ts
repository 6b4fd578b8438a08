import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, LayerHooks } from '@peft/core';
import { runLayer } from '@peft/models-base';
import type { LayerCache } from '@peft/models-base';
import type { Activation } from '@peft/models-base';
import type { FrozenLinear } from '@peft/models-base';
import type { LayerNorm } from '@peft/models-base';

/** The frozen weights of one GPT-2 block (HF names `h.{i}.*`). */
export interface Gpt2BlockWeights {
  readonly ln1: LayerNorm; // ln_1
  readonly cAttn: FrozenLinear; // attn.c_attn, Conv1D [d, 3d], columns q | k | v
  readonly cProj: FrozenLinear; // attn.c_proj [d, d]
  readonly ln2: LayerNorm; // ln_2
  readonly cFc: FrozenLinear; // mlp.c_fc [d, inner]
  readonly mlpProj: FrozenLinear; // mlp.c_proj [inner, d]
}

export interface Gpt2BlockOptions {
  readonly numHeads: number;
  readonly activation: Activation;
  readonly attnPdrop: number;
  readonly residPdrop: number;
  /** Additive padding mask [B, 1, 1, m], if any. */
  readonly mask?: tf.Tensor4D;
  /** This layer's cached keys/values, if any. */
  readonly past?: LayerCache;
  readonly ctx: ForwardContext;
}

/** One pre-LN GPT-2 block, h [B, n, d] → h [B, n, d], run by the shared layer runner; returns the keys and values of all m positions, for the cache. */
export function gpt2Block(
  w: Gpt2BlockWeights,
  hooks: LayerHooks,
  h: tf.Tensor3D,
  o: Gpt2BlockOptions,
): { h: tf.Tensor3D; present: LayerCache } {
  const d = h.shape[2];
  return runLayer(
    { attnNorm: w.ln1, qkv: { fused: w.cAttn }, o: w.cProj, ffnNorm: w.ln2, ffn: { in: w.cFc, out: w.mlpProj } },
    {
      placement: 'pre-norm',
      numHeads: o.numHeads,
      headDim: d / o.numHeads,
      causal: true,
      activation: o.activation,
      attentionDropout: o.attnPdrop,
      residualDropout: o.residPdrop,
    },
    hooks,
    h,
    { ctx: o.ctx, ...(o.mask ? { mask: o.mask } : {}), ...(o.past ? { past: o.past } : {}) },
  );
}
