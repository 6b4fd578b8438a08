import * as tf from '@tensorflow/tfjs-core';
import { droppedMatMulT, leanAdd, leanReshape, type ForwardContext } from '@peft/core';

/** One site's low-rank update, in Hugging Face's layout. */
export interface LoraFactors {
  /** [r, d_in] */
  readonly a: tf.Tensor;
  /** [d_out, r] */
  readonly b: tf.Tensor;
  /** [d_out], KA flavour only. */
  readonly bias?: tf.Tensor;
  readonly scaling: number;
}

/**
 * Δ = (dropout(x)·Aᵀ·s)·Bᵀ + b·s for x [..., d_in] → [..., d_out]. The transposes are matMul flags, not copies;
 * the scale is applied to the rank-r intermediate, the smallest tensor on the path.
 */
export function loraDelta(x: tf.Tensor, f: LoraFactors, ctx: ForwardContext, dropout: number): tf.Tensor {
  return tf.tidy(() => {
    const dOut = f.b.shape[0]!;
    // dropout(x)·Aᵀ, keeping x (shared by sibling sites) rather than the dropped x where the backend redraws masks
    const h = tf.mul(droppedMatMulT(x, f.a as tf.Tensor2D, ctx, dropout), f.scaling); // [N, r]
    let out = tf.matMul(h, f.b as tf.Tensor2D, false, true); // [N, d_out]
    if (f.bias) out = leanAdd(out, tf.mul(f.bias, f.scaling));
    return leanReshape(out, [...x.shape.slice(0, -1), dOut]); // (keeps nothing on the tape, unlike tfjs's Add and Reshape)
  });
}

/** The update as a kernel in [d_in, d_out] layout (y = x·W): s·Aᵀ·Bᵀ. */
export function deltaKernel(f: LoraFactors): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.matMul(f.a as tf.Tensor2D, f.b as tf.Tensor2D, true, true), f.scaling) as tf.Tensor2D);
}
