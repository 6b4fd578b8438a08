import * as tf from '@tensorflow/tfjs-core';
import { rowDot } from '@peft/core';

/** S = Q·Kᵀ·scale: [B, H, n, p] × [B, H, m, p] → [B, H, n, m]. */
export function attentionScores(q: tf.Tensor4D, k: tf.Tensor4D, scale: number): tf.Tensor4D {
  return tf.mul(tf.matMul(q, k, false, true), scale);
}

/**
 * Scores against keys shared by every query: [B, H, n, p] × [H, l, p] or [B, H, l, p] → [B, H, n, l].
 */
export function sharedScores(q: tf.Tensor4D, keys: tf.Tensor, scale: number): tf.Tensor4D {
  const [b, h] = q.shape;
  const k4 = keys.rank === 3 ? tf.broadcastTo(tf.expandDims(keys, 0), [b, h, keys.shape[1]!, keys.shape[2]!]) : keys;
  return tf.mul(tf.matMul(q, k4 as tf.Tensor4D, false, true), scale);
}

/** The per-query support's logit a_i = ⟨q_i, P_k,i⟩·scale: [B, H, n, 1]. */
export function perQueryLogits(q: tf.Tensor4D, keys: tf.Tensor4D, scale: number): tf.Tensor4D {
  return tf.mul(rowDot(q, keys), scale);
}

/**
 * The causal keep-mask [n, m] (1 = visible): query i, at absolute position m − n + i, sees keys j ≤ m − n + i.
 * Written from JavaScript in one pass (a range/compare/cast chain costs ~2 ms per layer on wasm), so it is exact on
 * every backend.
 */
export function causalKeep(n: number, m: number): tf.Tensor2D {
  return tf.tensor2d(causalKeepValues(n, m, new Uint8Array(n * m)), [n, m], 'bool');
}

function causalKeepValues<T extends Uint8Array | Float32Array>(n: number, m: number, keep: T): T {
  for (let i = 0; i < n; i++) keep.fill(1, i * m, i * m + Math.max(0, Math.min(m, m - n + i + 1)));
  return keep;
}

/**
 * Applies the causal replacement (masked → `maskedValue`) and then the additive mask, as the reference does.
 * The replacement is written s·keep + (1 − keep)·maskedValue with keep ∈ {0, 1} [n, m]: exact for both kinds of entry
 * (s·1 + 0 = s, s·0 + v = v for finite s), and broadcast by the arithmetic kernels instead of tiling a [B, H, n, m]
 * condition for `where`.
 */
export function maskScores(
  s: tf.Tensor4D,
  options: { causal?: boolean; mask?: tf.Tensor; maskedValue: number },
): { withPadding: tf.Tensor4D; causalOnly: tf.Tensor4D } {
  let causalOnly = s;
  if (options.causal) {
    const [, , n, m] = s.shape;
    const keep = tf.tensor2d(causalKeepValues(n, m, new Float32Array(n * m)), [n, m]); // [n, m] 0/1
    const fill = tf.mul(tf.sub(1, keep), options.maskedValue); // [n, m]
    causalOnly = tf.add(tf.mul(s, keep), fill) as tf.Tensor4D;
  }
  const withPadding = options.mask ? (tf.add(causalOnly, options.mask) as tf.Tensor4D) : causalOnly;
  return { withPadding, causalOnly };
}
