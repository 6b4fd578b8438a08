import * as tf from '@tensorflow/tfjs-core';
import { leanReshape } from '@peft/core';

// (the reshapes keep nothing on the tape: tfjs's Reshape saves its input for the backward pass only for its shape)

/** [B, n, H·p] → [B, H, n, p]. */
export function splitHeads(x: tf.Tensor3D | tf.Tensor, numHeads: number): tf.Tensor4D {
  const [b, n, d] = x.shape as [number, number, number];
  return tf.transpose(leanReshape(x, [b, n, numHeads, d / numHeads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** [B, H, n, p] → [B, n, H·p]. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [b, h, n, p] = x.shape;
  return leanReshape(tf.transpose(x, [0, 2, 1, 3]), [b, n, h * p]);
}
