import * as tf from '@tensorflow/tfjs-core';
import { leanAdd, leanReshape } from '@peft/core';

/** The per-head tanh layer of an inducer MLP: tanh(Q_h·A_h + b1_h), [B, H, n, p] → [B, H, n, r]. */
export function headwiseHidden(q: tf.Tensor4D, a: tf.Tensor, b1: tf.Tensor): tf.Tensor4D {
  // a: [H, p, r] is broadcast to [B, H, p, r] explicitly: tfjs's BatchMatMul gradient does not reduce an implicitly
  // broadcast batch axis. b1: [H, 1, r] broadcasts over the queries.
  return tf.tanh(leanAdd(tf.matMul(q, perBatch(a, q.shape[0])), b1)) as tf.Tensor4D;
}

/** A per-head MLP, tanh(Q_h·A_h + b1_h)·B_h + b2_h: [B, H, n, p] → [B, H, n, p] (B [H, r, p], b2 [H, 1, p]). */
export function headwiseMlp(q: tf.Tensor4D, a: tf.Tensor, b1: tf.Tensor, b: tf.Tensor, b2: tf.Tensor): tf.Tensor4D {
  return leanAdd<tf.Tensor4D>(tf.matMul(headwiseHidden(q, a, b1), perBatch(b, q.shape[0])), b2);
}

/** [H, r, c] → [B, H, r, c] (a broadcast whose gradient sums over the batch). */
function perBatch(w: tf.Tensor, batch: number): tf.Tensor4D {
  const [h, r, c] = w.shape as [number, number, number];
  return tf.broadcastTo(tf.expandDims(w, 0), [batch, h, r, c]) as tf.Tensor4D;
}

/**
 * The extended value MLP, MLP_v̄ (KA `PrefixMLP` with `prefix_value_extension`):
 *   E[b, i] = Σ_h λ[b, h, i]·tanh(Q[b, h, i]·W1_h + b1_h)·W2_h + b2,   [B, H, n, p] → [B, n, d].
 * W2 is [H, r, d] (one per head) or [r, d] (shared). b2 [d] is added unweighted (reference quirk 2). Written as one
 * [B·n, H·r] × [H·r, d] product, no loop over heads.
 */
export function extendedValue(
  q: tf.Tensor4D,
  lambda: tf.Tensor3D,
  w1: tf.Tensor,
  b1: tf.Tensor,
  w2: tf.Tensor,
  b2: tf.Tensor,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [bsz, h, n] = q.shape;
    const r = w1.shape[2]!;
    const d = b2.shape[0]!;
    const weighted = tf.mul(headwiseHidden(q, w1, b1), tf.expandDims(lambda, 3)); // [B, H, n, r]
    let e: tf.Tensor;
    if (w2.rank === 2) {
      // shared W2 [r, d]: Σ_h first, then one product
      e = tf.matMul(tf.reshape(tf.sum(weighted, 1), [bsz * n, r]), w2 as tf.Tensor2D); // [B·n, d]
    } else {
      const rows = leanReshape(tf.transpose(weighted, [0, 2, 1, 3]), [bsz * n, h * r]); // [B·n, H·r], index h·r + k
      e = tf.matMul(rows, tf.reshape(w2, [h * r, d])); // W2 [H, r, d] → [H·r, d], same index order
    }
    return leanReshape<tf.Tensor3D>(leanAdd(e, b2), [bsz, n, d]);
  });
}
