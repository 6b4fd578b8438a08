import * as tf from '@tensorflow/tfjs-core';

/**
 * HF `create_position_ids_from_input_ids`: non-padding tokens are numbered padding_idx + 1, padding_idx + 2, … in
 * order; padding tokens get padding_idx. ids [B, n] int32 → [B, n] int32.
 */
export function robertaPositionIds(inputIds: tf.Tensor2D, paddingIdx: number): tf.Tensor2D {
  return tf.tidy(() => {
    const notPad = tf.cast(tf.notEqual(inputIds, paddingIdx), 'int32'); // [B, n]
    return tf.add(tf.mul(tf.cumsum(notPad, 1), notPad), tf.scalar(paddingIdx, 'int32')) as tf.Tensor2D;
  });
}
