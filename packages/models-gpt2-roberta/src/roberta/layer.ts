import * as tf from '@tensorflow/tfjs-core';
import { kernelAttention, mergeHeads, splitHeads } from '@peft/attention-kernel';
import { leanAdd, type ForwardContext, type LayerHooks } from '@peft/core';
import type { Activation } from '../nn/activations.js';
import type { FrozenLinear } from '../nn/linear.js';
import type { LayerNorm } from '../nn/layer-norm.js';

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

/** One post-LN RoBERTa layer, h [B, n, d] → [B, n, d], calling the method hooks where the contract says. */
export function robertaLayer(w: RobertaLayerWeights, hooks: LayerHooks, h: tf.Tensor3D, o: RobertaLayerOptions): tf.Tensor3D {
  const { ctx } = o;
  const lin = hooks.linear ?? {};
  let q = w.query.apply(h); // [B, n, d]
  q = lin['attn.q']?.(h, q, ctx) ?? q;
  let k = w.key.apply(h);
  k = lin['attn.k']?.(h, k, ctx) ?? k;
  let v = w.value.apply(h);
  v = lin['attn.v']?.(h, v, ctx) ?? v;
  const queries = splitHeads(q, o.numHeads); // [B, H, n, p]
  const keys = splitHeads(k, o.numHeads);
  const values = splitHeads(v, o.numHeads);
  const sup = hooks.supports?.({ q: queries, k: keys, v: values, queryOffset: 0, ctx });
  const { output, lambda } = kernelAttention({
    q: queries,
    k: keys,
    v: values,
    causal: false,
    ...(o.mask ? { mask: o.mask } : {}),
    ...(sup ? { supports: sup } : {}),
    ...(ctx.training ? { dropout: (p: tf.Tensor) => ctx.dropout(p, o.attentionDropout), ...(ctx.dropoutDraw ? { dropoutDraw: () => ctx.dropoutDraw!(o.attentionDropout) } : {}) } : {}),
  });
  const a = mergeHeads(output); // [B, n, d]
  let y = w.attnOut.apply(a);
  y = lin['attn.o']?.(a, y, ctx) ?? y;
  if (sup?.afterOutput) y = leanAdd(y, sup.afterOutput(lambda, ctx));
  y = hooks.attnOutput?.(y, ctx) ?? y;
  const a1 = w.attnLn.apply(leanAdd(ctx.dropout(y, o.hiddenDropout), h)); // [B, n, d] (adds that keep nothing on the tape)

  let u = w.intermediate.apply(a1); // [B, n, I]
  u = lin['ffn.in']?.(a1, u, ctx) ?? u;
  const g = o.activation(u);
  let z = w.output.apply(g); // [B, n, d]
  z = lin['ffn.out']?.(g, z, ctx) ?? z;
  z = ctx.dropout(z, o.hiddenDropout);
  if (hooks.ffnParallel) z = leanAdd(z, hooks.ffnParallel(a1, ctx));
  z = hooks.ffnOutput?.(z, ctx) ?? z;
  return w.outLn.apply(leanAdd(z, a1)) as tf.Tensor3D;
}
