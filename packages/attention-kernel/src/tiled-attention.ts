import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, hasFusedKernel, leanReshape, leanSlice, runFusedKernelOutputs, type DropoutDraw } from '@peft/core';
import type { LseMode } from './fused-attention.js';

export interface TiledAttentionOptions {
  readonly scale: number;
  readonly causal: boolean;
  readonly maskedValue: number;
  /** Additive mask broadcastable to [B, H, n, m] (padding), a constant. */
  readonly mask?: tf.Tensor;
  /** 'unpadded': also the log-sum-exp of the scores without the padding mask (RoBERTa's λ quirk). */
  readonly lse: LseMode;
  /** Attention dropout, drawn by the kernel (the mask PeftDropoutMask would draw over [B, H, n, l + m]). */
  readonly dropout?: DropoutDraw;
}

export interface TiledAttentionOutput {
  /** [B, H, n, p] f(Q) = (P∘drop)·[V_sh; V]. */
  readonly f: tf.Tensor4D;
  /** [B, H, n, 1] logsumexp over all L = l + m supports of the masked scores (P's normaliser). */
  readonly lse: tf.Tensor4D;
  /** [B, H, n, 1] the same without the padding mask, with `lse: 'unpadded'`. */
  readonly lseUnpadded?: tf.Tensor4D;
  /** [B, H, n, 1] logsumexp over the shared supports alone: their total weight is exp(lseShared − lse). */
  readonly lseShared?: tf.Tensor4D;
}

/** Whether the active backend runs attention tiled (an accelerator registered PeftAttentionTiled and its gradient). */
export function hasTiledAttention(): boolean {
  return hasFusedKernel(FusedKernelNames.attentionTiled) && hasFusedKernel(FusedKernelNames.attentionTiledGrad);
}

/**
 * Attention over the L = l + m supports — the shared ones (prefix-tuning's [H, l, p] or [B, H, l, p], never masked),
 * then the keys [B, H, m, p] (causal limit, additive padding) — with the kernels `PeftAttentionTiled` and
 * `PeftAttentionTiledGrad`, under one custom gradient. Nothing of size [B, H, n, L] exists either way: the forward
 * keeps per query row a running maximum and sum over tiles of keys (the online softmax) and leaves f and the rows'
 * log-sum-exps; the tape keeps Q, K, V (and the shared supports), f, the log-sum-exps and 10 int32 per row (the
 * dropout stream's state, the row's key count). The backward recomputes each tile's scores from Q, K and lse:
 *
 *     P = exp(z − lse), D_i = dF_i·f_i (= Σ_t dP_it·P_it, dropout included),
 *     dz = P∘(drop∘(dF·Vᵀ) − D) + dlse·P + dlse_u·P_u + dlse_sh·P_sh,  dS = scale·[t visible]·dz,
 *     dQ = dS·[K_sh; K],  d[K_sh; K] = dSᵀ·Q,  d[V_sh; V] = (P∘drop)ᵀ·dF
 *
 * (P_u = exp(z_u − lse_u), P_sh = exp(z − lse_sh) on the shared supports). Check {@link hasTiledAttention} first.
 */
export function tiledAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  shared: { keys: tf.Tensor; values: tf.Tensor } | undefined,
  o: TiledAttentionOptions,
): TiledAttentionOutput {
  const [b, h, n, p] = q.shape;
  const rows = b * h * n;
  const unpadded = o.lse === 'unpadded';
  const attrs = {
    scale: o.scale,
    causal: o.causal,
    maskedValue: o.maskedValue,
    lse: unpadded ? ('unpadded' as const) : ('masked' as const),
    dropoutSeed: o.dropout?.seed ?? '',
    dropoutRate: o.dropout?.rate ?? 0,
  };
  const mask = o.mask ? { mask: o.mask } : {};
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, shared ? 5 : 3) as tf.Tensor[];
    const save = args[inputs.length] as tf.GradSaveFunc;
    const [qq, kk, vv, sk, sv] = inputs;
    const sup = sk ? { sharedKeys: sk, sharedValues: sv! } : {};
    const out = runFusedKernelOutputs(FusedKernelNames.attentionTiled, { q: qq!, k: kk!, v: vv!, ...mask, ...sup }, attrs);
    const [f, lse, info] = out as [tf.Tensor, tf.Tensor, tf.Tensor];
    const lseU = unpadded ? out[3]! : undefined;
    const lseSh = shared ? out[unpadded ? 4 : 3]! : undefined;
    // one flat output (a custom gradient has one): f, then the per-row log-sum-exps
    const value = tf.tidy(() => tf.concat([f, lse, ...(lseU ? [lseU] : []), ...(lseSh ? [lseSh] : [])].map((t) => tf.reshape(t, [-1]))));
    save([...inputs, f, lse, info, ...(lseU ? [lseU] : []), ...(lseSh ? [lseSh] : [])]);
    out.forEach((t) => t.dispose());
    return {
      value,
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) =>
        tf.tidy(() => {
          const [qs, ks, vs] = s as tf.Tensor4D[];
          let at = 3;
          const sks = shared ? s[at++]! : undefined;
          const svs = shared ? s[at++]! : undefined;
          const fs = s[at++]!, lses = s[at++]!, infos = s[at++]!;
          const lseUs = unpadded ? s[at++]! : undefined;
          const lseShs = shared ? s[at++]! : undefined;
          const piece = (index: number) => tf.reshape(tf.slice(dy, [rows * p + (index - 1) * rows], [rows]), [b, h, n, 1]);
          const dF = tf.reshape(tf.slice(dy, [0], [rows * p]), [b, h, n, p]);
          let index = 1;
          const dLse = piece(index++);
          const dLseU = unpadded ? piece(index++) : undefined;
          const dLseSh = shared ? piece(index++) : undefined;
          const grads = runFusedKernelOutputs(
            FusedKernelNames.attentionTiledGrad,
            {
              q: qs!, k: ks!, v: vs!, f: fs, lse: lses, info: infos, dF, dLse, ...mask,
              ...(sks ? { sharedKeys: sks, sharedValues: svs!, lseSh: lseShs!, dLseSh: dLseSh! } : {}),
              ...(lseUs ? { lseU: lseUs, dLseU: dLseU! } : {}),
            },
            { scale: o.scale, causal: o.causal, maskedValue: o.maskedValue, dropoutRate: attrs.dropoutSeed === '' ? 0 : attrs.dropoutRate },
          );
          const [dQ, dK, dV, dSK, dSV] = grads;
          // shared supports given as [H, l, p] are the same for every sequence: their gradient sums over B
          const perBatch = (g: tf.Tensor, like: tf.Tensor) => (like.rank === 3 ? tf.sum(g, 0) : g);
          return [dQ!, dK!, dV!, ...(sks ? [perBatch(dSK!, sks), perBatch(dSV!, svs!)] : [])];
        }),
    };
  });
  const flat = shared ? op(q, k, v, shared.keys, shared.values) : op(q, k, v);
  return tf.tidy(() => {
    const piece = (index: number) => leanReshape<tf.Tensor4D>(leanSlice(flat, [rows * p + (index - 1) * rows], [rows]), [b, h, n, 1]);
    let index = 1;
    const lse = piece(index++);
    const lseUnpadded = unpadded ? piece(index++) : undefined;
    const lseShared = shared ? piece(index++) : undefined;
    return {
      f: leanReshape<tf.Tensor4D>(leanSlice(flat, [0], [rows * p]), [b, h, n, p]),
      lse,
      ...(lseUnpadded ? { lseUnpadded } : {}),
      ...(lseShared ? { lseShared } : {}),
    };
  });
}
