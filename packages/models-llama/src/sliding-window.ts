import * as tf from '@tensorflow/tfjs-core';
import { MASKED_ADDEND } from '@peft/models-base';

/**
 * The additive sliding-window mask [1, 1, n, m] of n queries over m keys (the queries are the last n positions):
 * query i, at index m − n + i, keeps key j when j > m − n + i − window (transformers' `sliding_window_overlay`: the
 * `window` newest keys, itself included); older keys get {@link MASKED_ADDEND}. Indices count cached positions, padding
 * included, as transformers' cache positions do. Causality is the attention's own mask.
 */
export function slidingWindowMask(n: number, m: number, window: number): tf.Tensor4D {
  const values = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const q = m - n + i;
    for (let j = 0; j < m && j <= q - window; j++) values[i * m + j] = MASKED_ADDEND;
  }
  return tf.tensor4d(values, [1, 1, n, m]);
}
