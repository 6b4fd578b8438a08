import * as tf from '@tensorflow/tfjs-core';
import { kernelAttention, mergeHeads, repeatKeyValueHeads, splitHeads } from '@peft/attention-kernel';
import { leanAdd, ShapeError, type AttentionSupports, type ForwardContext, type LayerHooks, type LinearBase } from '@peft/core';
import type { LayerCache } from '../cache.js';
import { gatedProduct, type Activation } from '../nn/activations.js';
import type { FrozenLinear } from '../nn/linear.js';

/** A frozen normalisation over the last axis, x [..., d] → [..., d] ({@link LayerNorm}; RMSNorm for Llama). */
export interface Norm {
  apply(x: tf.Tensor): tf.Tensor;
}

/**
 * The attention's input projections: one fused map whose output columns are q [H·p] | k [H_kv·p] | v [H_kv·p]
 * (GPT-2's `c_attn`), or three separate maps.
 */
export type QkvProjections =
  | { readonly fused: FrozenLinear }
  | { readonly q: FrozenLinear; readonly k: FrozenLinear; readonly v: FrozenLinear };

/**
 * The FFN's frozen maps: dense, out(act(in(x))) (GPT-2, RoBERTa), or gated, out(act(gate(x)) ∘ in(x)) (SwiGLU, where
 * `in` is the up projection).
 */
export interface FfnWeights {
  readonly in: FrozenLinear; // [d, d_ff]
  readonly gate?: FrozenLinear; // [d, d_ff]
  readonly out: FrozenLinear; // [d_ff, d]
}

/** The frozen weights of one transformer layer. */
export interface LayerWeights {
  /** The attention sub-layer's norm: before attention (pre-norm) or after its residual add (post-norm). */
  readonly attnNorm: Norm;
  readonly qkv: QkvProjections;
  readonly o: FrozenLinear; // [H·p, d]
  /** The FFN sub-layer's norm: before the FFN (pre-norm) or after its residual add (post-norm). */
  readonly ffnNorm: Norm;
  readonly ffn: FfnWeights;
}

/** What a layer is, the same for every layer of a model. */
export interface LayerShape {
  /**
   * `pre-norm` (GPT-2, Llama): x = norm(h); h += dropout(sublayer(x)). `post-norm` (BERT, RoBERTa):
   * h = norm(h + dropout(sublayer(h))).
   */
  readonly placement: 'pre-norm' | 'post-norm';
  /** H, the query heads. */
  readonly numHeads: number;
  /** H_kv, the key/value heads (grouped-query attention when fewer than H; must divide H). Default H. */
  readonly numKeyValueHeads?: number;
  /** p, the head size. */
  readonly headDim: number;
  readonly causal: boolean;
  /** The FFN's activation (of `in` when dense, of `gate` when gated). */
  readonly activation: Activation;
  /** Dropout on the attention probabilities. */
  readonly attentionDropout: number;
  /**
   * Dropout on each sub-layer's output before its residual add. Pre-norm: applied after `ffn.parallel` and
   * `ffn.output` (GPT-2's block); post-norm: the FFN's dropout comes before them (HF BERT's `Output.dropout`).
   */
  readonly residualDropout: number;
}

/**
 * Rotary positions, supplied by the model for one forward: queries [B, H, n, p] and the new keys [B, H_kv, n, p]
 * (before the cache concat) → the same shapes rotated. `queryOffset` is the cached length m − n; a model that feeds
 * explicit position ids closes over them instead.
 */
export type RotateQueryKey = (
  queries: tf.Tensor4D,
  keys: tf.Tensor4D,
  queryOffset: number,
) => { readonly queries: tf.Tensor4D; readonly keys: tf.Tensor4D };

export interface LayerRunOptions {
  readonly ctx: ForwardContext;
  /** Additive padding mask [B, 1, 1, m], if any. */
  readonly mask?: tf.Tensor4D;
  /** This layer's cached keys/values [B, H_kv, m − n, p], if any. */
  readonly past?: LayerCache;
  readonly rotate?: RotateQueryKey;
}

export interface LayerRunResult {
  /** [B, n, d] */
  readonly h: tf.Tensor3D;
  /** Keys and values of all m positions, [B, H_kv, m, p] each (rotated, after the `attn.k`/`attn.v` hooks). */
  readonly present: LayerCache;
}

/**
 * One transformer layer, h [B, n, d] → h [B, n, d], calling the method hooks in the model ↔ method contract's order:
 *   attention: attn.q, attn.k, attn.v → rotate (q and the new k) → cache concat → attn.supports (queries, keys and
 *   values with H heads) → kernel attention → attn.o → the supports' afterOutput → attn.output → residual;
 *   FFN: [ffn.gate] → ffn.in → act (of the gate when gated, times in) → ffn.act → ffn.out → ffn.parallel →
 *   ffn.output → residual.
 * Dropout goes through `ctx` (its call order is part of the result under a training context).
 */
export function runLayer(w: LayerWeights, shape: LayerShape, hooks: LayerHooks, h: tf.Tensor3D, o: LayerRunOptions): LayerRunResult {
  const { ctx } = o;
  const lin = hooks.linear ?? {};
  const numHeads = shape.numHeads;
  const kvHeads = shape.numKeyValueHeads ?? numHeads;
  const preNorm = shape.placement === 'pre-norm';

  // attention
  const x = preNorm ? (w.attnNorm.apply(h) as tf.Tensor3D) : h; // [B, n, d]
  let [q, k, v] = projectQkv(w.qkv, x, numHeads * shape.headDim, kvHeads * shape.headDim, lin, ctx);
  let queries = splitHeads(q, numHeads); // [B, H, n, p]
  let keys = splitHeads(k, kvHeads); // [B, H_kv, n, p]
  let values = splitHeads(v, kvHeads);
  const queryOffset = o.past ? o.past.k.shape[2] : 0;
  if (o.rotate) ({ queries, keys } = o.rotate(queries, keys, queryOffset));
  if (o.past) {
    keys = tf.concat([o.past.k, keys], 2) as tf.Tensor4D; // [B, H_kv, m, p]
    values = tf.concat([o.past.v, values], 2) as tf.Tensor4D;
  }
  // the supports hook sees every query head's keys and values [B, H, m, p]; the kernel takes them grouped (H_kv)
  const sup = hooks.supports
    ? expandSharedSupports(hooks.supports({ q: queries, k: repeatKeyValueHeads(keys, numHeads), v: repeatKeyValueHeads(values, numHeads), queryOffset, ctx }), numHeads, kvHeads)
    : undefined;
  const { output, lambda } = kernelAttention({
    q: queries,
    k: keys,
    v: values,
    causal: shape.causal,
    ...(o.mask ? { mask: o.mask } : {}),
    ...(sup ? { supports: sup } : {}),
    ...(ctx.training
      ? {
          dropout: (p: tf.Tensor) => ctx.dropout(p, shape.attentionDropout),
          // the tiled kernels draw the same mask row by row where the context can (never [B, H, n, m] at once)
          ...(ctx.dropoutDraw ? { dropoutDraw: () => ctx.dropoutDraw!(shape.attentionDropout) } : {}),
        }
      : {}),
  });
  const a = mergeHeads(output); // [B, n, H·p]
  let y = w.o.apply(a); // [B, n, d]
  y = lin['attn.o']?.(a, y, ctx, w.o.base()) ?? y;
  if (sup?.afterOutput) y = leanAdd(y, sup.afterOutput(lambda, ctx));
  y = hooks.attnOutput?.(y, ctx) ?? y;
  // (adds that keep nothing on the tape)
  let hidden = preNorm
    ? leanAdd<tf.Tensor3D>(h, ctx.dropout(y, shape.residualDropout))
    : (w.attnNorm.apply(leanAdd(ctx.dropout(y, shape.residualDropout), h)) as tf.Tensor3D);

  // FFN
  const x2 = preNorm ? (w.ffnNorm.apply(hidden) as tf.Tensor3D) : hidden; // [B, n, d]
  let g: tf.Tensor; // [B, n, d_ff]
  if (w.ffn.gate) {
    let gate = w.ffn.gate.apply(x2);
    gate = lin['ffn.gate']?.(x2, gate, ctx, w.ffn.gate.base()) ?? gate;
    let up = w.ffn.in.apply(x2);
    up = lin['ffn.in']?.(x2, up, ctx, w.ffn.in.base()) ?? up;
    g = gatedProduct(shape.activation, gate, up);
  } else {
    let u = w.ffn.in.apply(x2);
    u = lin['ffn.in']?.(x2, u, ctx, w.ffn.in.base()) ?? u;
    g = shape.activation(u);
  }
  g = hooks.ffnActivation?.(g, ctx) ?? g;
  let z = w.ffn.out.apply(g); // [B, n, d]
  z = lin['ffn.out']?.(g, z, ctx, w.ffn.out.base()) ?? z;
  if (!preNorm) z = ctx.dropout(z, shape.residualDropout);
  if (hooks.ffnParallel) z = leanAdd(z, hooks.ffnParallel(x2, ctx));
  z = hooks.ffnOutput?.(z, ctx) ?? z;
  hidden = preNorm
    ? leanAdd<tf.Tensor3D>(hidden, ctx.dropout(z, shape.residualDropout))
    : (w.ffnNorm.apply(leanAdd(z, hidden)) as tf.Tensor3D);
  return { h: hidden, present: { k: keys, v: values } };
}

/** q [B, n, H·p], k and v [B, n, H_kv·p], each after its linear hook (given its slice of a fused map's weights). */
function projectQkv(
  p: QkvProjections,
  x: tf.Tensor3D,
  qSize: number,
  kvSize: number,
  lin: NonNullable<LayerHooks['linear']>,
  ctx: ForwardContext,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
  let bases: [LinearBase, LinearBase, LinearBase];
  if ('fused' in p) {
    const f = p.fused;
    if (f.outSize !== qSize + 2 * kvSize) throw new ShapeError(`${f.name}.weight`, [f.inSize, qSize + 2 * kvSize], [f.inSize, f.outSize]);
    const all = f.apply(x);
    [q, k, v] = (qSize === kvSize ? tf.split(all, 3, -1) : tf.split(all, [qSize, kvSize, kvSize], -1)) as [tf.Tensor, tf.Tensor, tf.Tensor];
    bases = [
      f.base({ start: 0, size: qSize }),
      f.base({ start: qSize, size: kvSize }),
      f.base({ start: qSize + kvSize, size: kvSize }),
    ];
  } else {
    q = p.q.apply(x);
    k = p.k.apply(x);
    v = p.v.apply(x);
    bases = [p.q.base(), p.k.base(), p.v.base()];
  }
  q = lin['attn.q']?.(x, q, ctx, bases[0]) ?? q;
  k = lin['attn.k']?.(x, k, ctx, bases[1]) ?? k;
  v = lin['attn.v']?.(x, v, ctx, bases[2]) ?? v;
  return [q, k, v];
}

/** Shared supports given with H_kv heads (prefix keys/values of a grouped-query model) repeated to H heads. */
function expandSharedSupports(sup: AttentionSupports | undefined, numHeads: number, kvHeads: number): AttentionSupports | undefined {
  if (!sup?.shared || kvHeads === numHeads) return sup;
  const { keys, values } = sup.shared;
  if (keys.shape[keys.rank - 3] !== kvHeads) return sup;
  return { ...sup, shared: { keys: repeatKeyValueHeads(keys, numHeads), values: repeatKeyValueHeads(values, numHeads) } };
}
