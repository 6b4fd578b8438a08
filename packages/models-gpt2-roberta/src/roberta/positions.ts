import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@peft/core';

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

/**
 * Checks the positions {@link robertaPositionIds} derives from ids [B, n] (row-major values) against the table's
 * size: the largest is paddingIdx + the most non-padding tokens in a row.
 */
export function checkDerivedPositions(ids: Int32Array, n: number, paddingIdx: number, maxPositions: number): void {
  for (let row = 0; row * n < ids.length; row++) {
    let count = 0;
    for (let j = 0; j < n; j++) if (ids[row * n + j] !== paddingIdx) count++;
    const last = paddingIdx + count;
    if (last >= maxPositions) {
      throw new ConfigError(
        'positionIds (from the padding index)',
        `row ${row} has ${count} tokens: position ${last} is outside [0, ${maxPositions})`,
      );
    }
  }
}
