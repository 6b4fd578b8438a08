import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, LayerHooks } from '@peft/core';
import { runLayer } from '@peft/models-base';
import type { Activation } from '@peft/models-base';
import type { FrozenLinear } from '@peft/models-base';
import type { LayerNorm } from '@peft/models-base';

/** The frozen weights of one RoBERTa layer (HF `encoder.layer.{i}.*`; nn.Linear weights stored transposed to [in, out]). */
export interface RobertaLayerWeights {
  readonly query: FrozenLinear; // attention.self.query
  readonly key: FrozenLinear; // attention.self.key
  readonly value: FrozenLinear; // attention.self.value
  readonly attnOut: FrozenLinear; // attention.output.dense
  readonly attnLn: LayerNorm; // attention.output.LayerNorm
  readonly intermediate: FrozenLinear; // intermediate.dense [d, I]
  readonly output: FrozenLinear; // output.dense [I, d]
  readonly outLn: LayerNorm; // output.LayerNorm
}

export interface RobertaLayerOptions {
  readonly numHeads: number;
  readonly activation: Activation;
  readonly attentionDropout: number;
  readonly hiddenDropout: number;
  /** Additive padding mask [B, 1, 1, m] = (1 − attention_mask)·(−10000), if any. */
  readonly mask?: tf.Tensor4D;
  readonly ctx: ForwardContext;
}

/** One post-LN RoBERTa layer, h [B, n, d] → [B, n, d], run by the shared layer runner. */
export function robertaLayer(w: RobertaLayerWeights, hooks: LayerHooks, h: tf.Tensor3D, o: RobertaLayerOptions): tf.Tensor3D {
  const d = h.shape[2];
  return runLayer(
    {
      attnNorm: w.attnLn,
      qkv: { q: w.query, k: w.key, v: w.value },
      o: w.attnOut,
      ffnNorm: w.outLn,
      ffn: { in: w.intermediate, out: w.output },
    },
    {
      placement: 'post-norm',
      numHeads: o.numHeads,
      headDim: d / o.numHeads,
      causal: false,
      activation: o.activation,
      attentionDropout: o.attentionDropout,
      residualDropout: o.hiddenDropout,
    },
    hooks,
    h,
    { ctx: o.ctx, ...(o.mask ? { mask: o.mask } : {}) },
  ).h;
}
