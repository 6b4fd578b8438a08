import * as tf from '@tensorflow/tfjs-core';

/** The masked additive value of the reference code (HF transformers 4.10): (1 − mask)·(−10000). */
export const MASKED_ADDEND = -10000;

/** attention_mask [B, m] (1 = attend, 0 = padding) → additive mask [B, 1, 1, m]. */
export function additivePaddingMask(attentionMask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, m] = attentionMask.shape;
    const keep = tf.cast(attentionMask, 'float32');
    return tf.reshape(tf.mul(tf.sub(1, keep), MASKED_ADDEND), [b, 1, 1, m]) as tf.Tensor4D;
  });
}
