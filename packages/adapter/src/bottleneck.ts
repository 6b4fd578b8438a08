import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '@peft/core';
import type { Activation } from './config.js';

/** The tensors of one bottleneck adapter; weights in [in, out] layout (y = x·W + b). */
export interface BottleneckWeights {
  /** [d, b] */
  readonly downWeight: tf.Tensor;
  /** [b] */
  readonly downBias: tf.Tensor;
  /** [b, d] */
  readonly upWeight: tf.Tensor;
  /** [d] */
  readonly upBias: tf.Tensor;
  /** LayerNorm on the input: weight [d], bias [d]. */
  readonly lnBefore?: { readonly weight: tf.Tensor; readonly bias: tf.Tensor };
  /** LayerNorm applied last: weight [d], bias [d]. */
  readonly lnAfter?: { readonly weight: tf.Tensor; readonly bias: tf.Tensor };
  /** A number, or a trainable scalar []. */
  readonly scale: number | tf.Tensor;
}

export interface BottleneckOptions {
  readonly activation: Activation;
  readonly dropout: number;
  readonly layerNormEps: number;
  /** Add the input x back (sequential adapters). */
  readonly residual: boolean;
}

/**
 * One bottleneck adapter on x [B, n, d]:
 *   h = up(dropout(act(down(LN_before(x))))) · scale        // [B, n, d]
 *   out = LN_after(residual ? x + h : h)
 * (HE's order: dropout after the activation; KA's: LN_after after the residual.)
 */
export function bottleneckForward(x: tf.Tensor, w: BottleneckWeights, options: BottleneckOptions, ctx: ForwardContext): tf.Tensor {
  return tf.tidy(() => {
    const z = w.lnBefore ? layerNorm(x, w.lnBefore.weight, w.lnBefore.bias, options.layerNormEps) : x; // [B, n, d]
    const down = tf.add(matMulLast(z, w.downWeight), w.downBias); // [B, n, b]
    const hidden = ctx.dropout(activate(down, options.activation), options.dropout); // [B, n, b]
    const up = tf.add(matMulLast(hidden, w.upWeight), w.upBias); // [B, n, d]
    const scaled = typeof w.scale === 'number' ? (w.scale === 1 ? up : tf.mul(up, w.scale)) : tf.mul(up, w.scale);
    const out = options.residual ? tf.add(x, scaled) : scaled;
    return w.lnAfter ? layerNorm(out, w.lnAfter.weight, w.lnAfter.bias, options.layerNormEps) : out;
  });
}

/** x [..., k] · W [k, j] → [..., j]. */
export function matMulLast(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const k = x.shape[x.rank - 1]!;
  const lead = x.shape.slice(0, -1);
  const flat = tf.matMul(tf.reshape(x, [-1, k]) as tf.Tensor2D, w as tf.Tensor2D); // [N, j]
  return tf.reshape(flat, [...lead, w.shape[1]!]);
}

/** LayerNorm over the last axis with the biased variance (as torch.nn.LayerNorm). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normed, weight), bias);
  });
}

export function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'gelu':
      // the exact (erf) GELU of torch.nn.GELU: x·Φ(x)
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
}
