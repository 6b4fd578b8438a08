import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@peft/core';

/**
 * Grouped-query attention: t [..., H_kv, m, p] → [..., H, m, p], query head j reading key/value head ⌊j / (H/H_kv)⌋
 * (transformers' `repeat_kv`). The identity when H_kv = H.
 */
export function repeatKeyValueHeads<T extends tf.Tensor>(t: T, numHeads: number): T {
  const kvAxis = t.rank - 3;
  const kvHeads = t.shape[kvAxis]!;
  if (kvHeads === numHeads) return t;
  if (kvHeads < 1 || numHeads % kvHeads !== 0) {
    throw new ShapeError('keys/values', [...t.shape.slice(0, kvAxis), numHeads, ...t.shape.slice(kvAxis + 1)], t.shape, `repeatKeyValueHeads: the key/value heads must divide the ${numHeads} query heads`);
  }
  const groups = numHeads / kvHeads;
  const lead = t.shape.slice(0, kvAxis);
  const [m, p] = t.shape.slice(kvAxis + 1) as [number, number];
  const shape = [...t.shape];
  shape[kvAxis] = numHeads;
  // under a custom gradient that keeps nothing (tfjs's Tile and Reshape keep their inputs for their shapes): the
  // gradient of a repeat is the sum over each group's heads
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.tidy(() => {
      // [..., H_kv, 1, m·p] tiled to [..., H_kv, groups, m·p]: rank ≤ 4
      const flat = tf.reshape(args[0] as tf.Tensor, [...lead, kvHeads, 1, m * p]);
      return tf.reshape(tf.tile(flat, [...lead.map(() => 1), 1, groups, 1]), shape);
    }),
    gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.reshape(tf.sum(tf.reshape(dy, [...lead, kvHeads, groups, m * p]), kvAxis + 1), t.shape)),
  }));
  return op(t) as T;
}
