import * as tf from '@tensorflow/tfjs-core';
import { kernelAttention, mergeHeads, splitHeads } from '@peft/attention-kernel';
import { leanAdd, type ForwardContext, type LayerHooks } from '@peft/core';
import type { LayerCache } from '../cache.js';
import type { Activation } from '../nn/activations.js';
import type { FrozenLinear } from '../nn/linear.js';
import type { LayerNorm } from '../nn/layer-norm.js';

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

/**
 * One pre-LN GPT-2 block, h [B, n, d] → h [B, n, d], calling the method hooks exactly where the model ↔ method
 * contract says. Returns the keys and values of all m positions, for the cache.
 */
export function gpt2Block(
  w: Gpt2BlockWeights,
  hooks: LayerHooks,
  h: tf.Tensor3D,
  o: Gpt2BlockOptions,
): { h: tf.Tensor3D; present: LayerCache } {
  const { ctx } = o;
  const lin = hooks.linear ?? {};
  const x = w.ln1.apply(h); // [B, n, d]
  let [q, k, v] = tf.split(w.cAttn.apply(x), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor]; // [B, n, d] each
  q = lin['attn.q']?.(x, q, ctx) ?? q;
  k = lin['attn.k']?.(x, k, ctx) ?? k;
  v = lin['attn.v']?.(x, v, ctx) ?? v;
  const queries = splitHeads(q, o.numHeads); // [B, H, n, p]
  let keys = splitHeads(k, o.numHeads); // [B, H, n, p]
  let values = splitHeads(v, o.numHeads);
  if (o.past) {
    keys = tf.concat([o.past.k, keys], 2) as tf.Tensor4D; // [B, H, m, p]
    values = tf.concat([o.past.v, values], 2) as tf.Tensor4D;
  }
  const queryOffset = o.past ? o.past.k.shape[2] : 0;
  const sup = hooks.supports?.({ q: queries, k: keys, v: values, queryOffset, ctx });
  const { output, lambda } = kernelAttention({
    q: queries,
    k: keys,
    v: values,
    causal: true,
    ...(o.mask ? { mask: o.mask } : {}),
    ...(sup ? { supports: sup } : {}),
    ...(ctx.training ? { dropout: (p: tf.Tensor) => ctx.dropout(p, o.attnPdrop), ...(ctx.dropoutDraw ? { dropoutDraw: () => ctx.dropoutDraw!(o.attnPdrop) } : {}) } : {}),
  });
  const a = mergeHeads(output); // [B, n, d]
  let y = w.cProj.apply(a);
  y = lin['attn.o']?.(a, y, ctx) ?? y;
  if (sup?.afterOutput) y = leanAdd(y, sup.afterOutput(lambda, ctx));
  y = hooks.attnOutput?.(y, ctx) ?? y;
  let hidden = leanAdd<tf.Tensor3D>(h, ctx.dropout(y, o.residPdrop)); // (adds that keep nothing on the tape)

  const x2 = w.ln2.apply(hidden); // [B, n, d]
  let u = w.cFc.apply(x2); // [B, n, inner]
  u = lin['ffn.in']?.(x2, u, ctx) ?? u;
  const g = o.activation(u);
  let z = w.mlpProj.apply(g); // [B, n, d]
  z = lin['ffn.out']?.(g, z, ctx) ?? z;
  if (hooks.ffnParallel) z = leanAdd(z, hooks.ffnParallel(x2, ctx));
  z = hooks.ffnOutput?.(z, ctx) ?? z;
  hidden = leanAdd<tf.Tensor3D>(hidden, ctx.dropout(z, o.residPdrop));
  return { h: hidden, present: { k: keys, v: values } };
}
