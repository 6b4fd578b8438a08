import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX } from '../data/special-tokens.js';

/**
 * Shifted causal-LM cross-entropy over labelled positions only (spec §6.1): position t predicts label t+1, labels −100
 * are skipped, and the loss is the mean over scored positions of (1−ε)·NLL + ε·mean_k(−log p_k) (PyTorch
 * `CrossEntropyLoss(label_smoothing=ε, ignore_index=-100)`). Returns the mean (a scalar) and, for perplexity, the number
 * of scored positions.
 * logits: [B, n, V]; labels: [B, n] int32.
 */
export function shiftedLmLoss(logits: tf.Tensor3D, labels: tf.Tensor2D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const [B, n, V] = logits.shape;
    const pred = tf.reshape(tf.slice(logits, [0, 0, 0], [B, n - 1, V]), [B * (n - 1), V]) as tf.Tensor2D; // [B(n−1), V]
    const tgt = tf.reshape(tf.slice(labels, [0, 1], [B, n - 1]), [B * (n - 1)]) as tf.Tensor1D; // [B(n−1)]
    return tokenCrossEntropy(pred, tgt, labelSmoothing);
  });
}

/** Mean cross-entropy of rows `logits` [N, V] against `targets` [N] (−100 skipped), with label smoothing ε. */
export function tokenCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const V = logits.shape[1];
    const valid = tf.cast(tf.notEqual(targets, IGNORE_INDEX), 'float32'); // [N]
    const safe = tf.where(tf.notEqual(targets, IGNORE_INDEX), targets, tf.zerosLike(targets));
    const logp = tf.logSoftmax(logits); // [N, V]
    const nll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.cast(safe, 'int32'), V)), -1)); // [N]
    let per = nll;
    if (labelSmoothing > 0) {
      const smooth = tf.neg(tf.mean(logp, -1)); // [N]
      per = tf.add(tf.mul(nll, 1 - labelSmoothing), tf.mul(smooth, labelSmoothing));
    }
    const count = tf.maximum(tf.sum(valid), 1);
    return tf.div(tf.sum(tf.mul(per, valid)), count) as tf.Scalar;
  });
}

/** Sum of NLL (no smoothing) over scored positions and their count, for exp(mean NLL) perplexity. */
export async function shiftedLmNllSum(logits: tf.Tensor3D, labels: tf.Tensor2D): Promise<{ nllSum: number; count: number }> {
  const [s, c] = tf.tidy(() => {
    const [B, n, V] = logits.shape;
    const pred = tf.reshape(tf.slice(logits, [0, 0, 0], [B, n - 1, V]), [B * (n - 1), V]);
    const tgt = tf.reshape(tf.slice(labels, [0, 1], [B, n - 1]), [B * (n - 1)]);
    const ok = tf.notEqual(tgt, IGNORE_INDEX);
    const valid = tf.cast(ok, 'float32');
    const safe = tf.where(ok, tgt, tf.zerosLike(tgt));
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(pred), tf.oneHot(tf.cast(safe, 'int32'), V)), -1));
    return [tf.sum(tf.mul(nll, valid)), tf.sum(valid)];
  });
  try {
    return { nllSum: (await s.data())[0]!, count: (await c.data())[0]! };
  } finally {
    tf.dispose([s, c]);
  }
}
