import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, hasFusedKernel, leanReshape, leanSlice, runFusedKernel, runFusedKernelOutputs } from '@peft/core';
import { logSumExpLast } from './logsumexp.js';
import { causalKeep, maskScores } from './scores.js';

/** What the per-query support's λ needs from the score rows: nothing, their log-sum-exp, or that of the unpadded rows. */
export type LseMode = 'none' | 'masked' | 'unpadded';

export interface FusedAttentionOptions {
  readonly scale: number;
  readonly causal: boolean;
  readonly maskedValue: number;
  /** Additive mask broadcastable to [B, H, n, m] (padding), a constant. */
  readonly mask?: tf.Tensor;
  readonly lse: LseMode;
  /** Dropout on the probabilities (training). */
  readonly dropout?: (x: tf.Tensor) => tf.Tensor;
}

export interface FusedAttentionOutput {
  /** [B, H, n, p] softmax-weighted values f(Q). */
  readonly f: tf.Tensor4D;
  /** [B, H, n, 1] log Σ_j exp of the (masked, or with 'unpadded' the unpadded) score rows, when asked for. */
  readonly lse?: tf.Tensor4D;
}

/**
 * Attention from Q, K, V to f(Q) = dropout(softmax(mask(Q·Kᵀ·scale)))·V — and the rows' log-sum-exp for the
 * per-query support's λ — under ONE custom gradient. The tape keeps Q, K, V, the probabilities and the dropout mask
 * (plus the unpadded probabilities for RoBERTa's λ quirk), instead of the ~8 [B, H, n, m] tensors the composed ops keep;
 * the backward is four products and one pass over the rows:
 *
 *     dV = (P∘M)ᵀ·dF,  dP = (dF·Vᵀ)∘M,  dS = scale·[j visible]·(P∘(dP − Σ_j dP_j·P_j) + dlse·P_λ),  dQ = dS·K,  dK = dSᵀ·Q
 *
 * (P_λ = P, or the unpadded probabilities). The score step runs as @peft/core's fused `PeftMaskedSoftmax` /
 * `PeftMaskedSoftmaxGrad` kernels where an accelerator registered them, and is composed from tfjs ops otherwise, with
 * the same values to float32 rounding. The dropout mask is drawn as `dropout(ones)`, the same values `dropout(P)`
 * multiplies by, in the same call order.
 */
export function fusedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, o: FusedAttentionOptions): FusedAttentionOutput {
  const [b, h, n, p] = q.shape;
  const rows = b * h * n;
  const withLse = o.lse !== 'none';
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qq, kk, vv] = args as tf.Tensor4D[];
    const save = args[3] as tf.GradSaveFunc;
    const { value, saved } = tf.tidy(() => {
      const scores = tf.matMul(qq!, kk!, false, true) as tf.Tensor4D; // [B, H, n, m], unscaled
      const { probs, lse, lseProbs } = maskedSoftmax(scores, o);
      const keep = o.dropout ? (o.dropout(tf.onesLike(probs)) as tf.Tensor4D) : null; // 0 or 1/(1 − rate)
      const f = tf.matMul(keep ? tf.mul(probs, keep) : probs, vv!) as tf.Tensor4D; // [B, H, n, p]
      // f and lse leave as one flat tensor (a custom gradient has one output): two contiguous runs, cheap to split
      return {
        value: lse ? tf.concat([tf.reshape(f, [-1]), tf.reshape(lse, [-1])]) : f,
        saved: [qq!, kk!, vv!, probs, ...(keep ? [keep] : []), ...(lseProbs ? [lseProbs] : [])],
      };
    });
    save(saved);
    saved.slice(3).forEach((t) => t.dispose());
    const hasKeep = o.dropout !== undefined;
    return {
      value,
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) =>
        tf.tidy(() => {
          const [qs, ks, vs, probs] = s as tf.Tensor4D[];
          const keep = hasKeep ? (s[4] as tf.Tensor4D) : null;
          const lseProbs = o.lse === 'unpadded' ? (s[hasKeep ? 5 : 4] as tf.Tensor4D) : undefined;
          const dF = (withLse ? tf.reshape(tf.slice(dy, [0], [rows * p]), [b, h, n, p]) : dy) as tf.Tensor4D;
          const dLse = withLse ? (tf.reshape(tf.slice(dy, [rows * p], [rows]), [b, h, n, 1]) as tf.Tensor4D) : undefined;
          const dV = tf.matMul(keep ? tf.mul(probs!, keep) : probs!, dF, true, false);
          const dDropped = tf.matMul(dF, vs!, false, true) as tf.Tensor4D; // [B, H, n, m]
          const dProbs = keep ? (tf.mul(dDropped, keep) as tf.Tensor4D) : dDropped;
          const dS = maskedSoftmaxGrad(probs!, dProbs, dLse, lseProbs, o);
          return [tf.matMul(dS, ks!), tf.matMul(dS, qs!, true, false), dV];
        }),
    };
  });
  const out = op(q, k, v);
  if (!withLse) return { f: out as tf.Tensor4D };
  return tf.tidy(() => ({
    f: leanReshape<tf.Tensor4D>(leanSlice(out, [0], [rows * p]), [b, h, n, p]),
    lse: leanReshape<tf.Tensor4D>(leanSlice(out, [rows * p], [rows]), [b, h, n, 1]),
  }));
}

/** P = softmax(s''), and the log-sum-exp (and unpadded probabilities) the mode asks for; see {@link fusedAttention}. */
function maskedSoftmax(scores: tf.Tensor4D, o: FusedAttentionOptions): { probs: tf.Tensor4D; lse?: tf.Tensor4D; lseProbs?: tf.Tensor4D } {
  if (hasFusedKernel(FusedKernelNames.maskedSoftmax)) {
    const [probs, lse, lseProbs] = runFusedKernelOutputs(
      FusedKernelNames.maskedSoftmax,
      { scores, ...(o.mask ? { mask: o.mask } : {}) },
      { scale: o.scale, causal: o.causal, maskedValue: o.maskedValue, lse: o.lse },
    ) as tf.Tensor4D[];
    return { probs: probs!, ...(lse ? { lse } : {}), ...(lseProbs ? { lseProbs } : {}) };
  }
  const { withPadding, causalOnly } = maskScores(tf.mul(scores, o.scale), { causal: o.causal, mask: o.mask, maskedValue: o.maskedValue });
  const probs = tf.softmax(withPadding) as tf.Tensor4D;
  if (o.lse === 'none') return { probs };
  if (o.lse === 'masked') return { probs, lse: logSumExpLast(withPadding) as tf.Tensor4D };
  const lse = logSumExpLast(causalOnly) as tf.Tensor4D;
  return { probs, lse, lseProbs: tf.exp(tf.sub(causalOnly, lse)) as tf.Tensor4D };
}

/** dScores (raw, before the scale) from dP and dlse; see {@link fusedAttention}. */
function maskedSoftmaxGrad(probs: tf.Tensor4D, dProbs: tf.Tensor4D, dLse: tf.Tensor4D | undefined, lseProbs: tf.Tensor4D | undefined, o: FusedAttentionOptions): tf.Tensor4D {
  if (hasFusedKernel(FusedKernelNames.maskedSoftmaxGrad)) {
    return runFusedKernel(
      FusedKernelNames.maskedSoftmaxGrad,
      { probs, dProbs, ...(dLse ? { dLse } : {}), ...(lseProbs ? { lseProbs } : {}) },
      { scale: o.scale, causal: o.causal },
    ) as tf.Tensor4D;
  }
  const dot = tf.sum(tf.mul(dProbs, probs), -1, true);
  let ds = tf.mul(probs, tf.sub(dProbs, dot));
  if (dLse) ds = tf.add(ds, tf.mul(dLse, lseProbs ?? probs));
  ds = tf.mul(ds, o.scale);
  if (o.causal) ds = tf.mul(ds, tf.cast(causalKeep(probs.shape[2], probs.shape[3]), 'float32'));
  return ds as tf.Tensor4D;
}
