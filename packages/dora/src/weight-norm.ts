import * as tf from '@tensorflow/tfjs-core';
import { deltaKernel, type LoraFactors } from '@peft/lora';

/**
 * ‖W + s·(BA)ᵀ‖ per output feature: the L2 norm of each column of the [in, out] kernel (Hugging Face PEFT's
 * `get_weight_norm`, the norm over the input dimension of its [out, in] weight). Without factors: ‖W‖ per column.
 */
export function columnNorms(w: tf.Tensor2D, f?: LoraFactors): tf.Tensor1D {
  return tf.tidy(() => {
    const v = f ? tf.add(w, deltaKernel(f)) : w;
    return tf.sqrt(tf.sum(tf.square(v), 0)) as tf.Tensor1D;
  });
}

/**
 * {@link columnNorms} of W + s·(BA)ᵀ, detached from the gradient (DoRA §4.3, as PEFT's `weight_norm.detach()`): the
 * value follows A and B, but no gradient flows back through it. Computed inside a custom gradient, so the backward
 * pass neither keeps nor revisits the [in, out] matrix; A and B get zero from this path.
 */
export function detachedColumnNorms(w: tf.Tensor2D, f: LoraFactors): tf.Tensor1D {
  const aShape = [...f.a.shape];
  const bShape = [...f.b.shape];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b] = args as tf.Tensor[];
    return {
      value: columnNorms(w, { a: a!, b: b!, scaling: f.scaling }),
      gradFunc: () => [tf.zeros(aShape), tf.zeros(bShape)],
    };
  });
  return op(f.a, f.b) as tf.Tensor1D;
}
