import * as tf from '@tensorflow/tfjs-core';

/** [B, n, H·p] → [B, H, n, p]. */
export function splitHeads(x: tf.Tensor3D | tf.Tensor, numHeads: number): tf.Tensor4D {
  const [b, n, d] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [b, n, numHeads, d / numHeads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** [B, H, n, p] → [B, n, H·p]. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [b, h, n, p] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, n, h * p]) as tf.Tensor3D;
}
