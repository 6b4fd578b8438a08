import * as tf from '@tensorflow/tfjs-core';
import { leanAdd, leanReshape, type ForwardContext } from '@peft/core';

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
    const dIn = x.shape[x.rank - 1]!;
    const dOut = f.b.shape[0]!;
    const xd = dropout > 0 ? ctx.dropout(x, dropout) : x;
    const x2 = tf.reshape(xd, [-1, dIn]); // [N, d_in]
    const h = tf.mul(tf.matMul(x2, f.a as tf.Tensor2D, false, true), f.scaling); // [N, r]
    let out = tf.matMul(h, f.b as tf.Tensor2D, false, true); // [N, d_out]
    if (f.bias) out = leanAdd(out, tf.mul(f.bias, f.scaling));
    return leanReshape(out, [...x.shape.slice(0, -1), dOut]); // (keeps nothing on the tape, unlike tfjs's Add and Reshape)
  });
}

/** The update as a kernel in [d_in, d_out] layout (y = x·W): s·Aᵀ·Bᵀ. */
export function deltaKernel(f: LoraFactors): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.matMul(f.a as tf.Tensor2D, f.b as tf.Tensor2D, true, true), f.scaling) as tf.Tensor2D);
}
