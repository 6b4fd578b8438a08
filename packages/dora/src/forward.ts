import * as tf from '@tensorflow/tfjs-core';
import { leanAdd, leanReshape, type ForwardContext } from '@peft/core';
import { loraDelta, type LoraFactors } from '@peft/lora';
import { detachedColumnNorms } from './weight-norm.js';

/**
 * The output of a DoRA site, as Hugging Face PEFT 0.21 computes it (`DoraLinearVariant.forward` +
 * `DoraLinearLayer.forward`): with g = m / ‖W + s·(BA)ᵀ‖ (per output feature, the norm detached),
 *
 *   y' = y + (g − 1)·(x̃·W) + g·s·(x̃·Aᵀ·Bᵀ)
 *
 * where y = x·W + b is the frozen output. Without dropout (rate 0, or not training) x̃ = x and x̃·W is read off y as
 * y − b (PEFT's `base_result - bias`); with dropout x̃ = dropout(x), one mask for both terms, and x̃·W is computed
 * (PEFT's `F.linear(x, W)`). y' = g∘(x·W + s·x·Aᵀ·Bᵀ) + b then, the merged weight's output.
 */
export function doraOutput(
  x: tf.Tensor,
  y: tf.Tensor,
  w: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
  f: LoraFactors,
  magnitude: tf.Tensor,
  dropout: number,
  ctx: ForwardContext,
): tf.Tensor {
  return tf.tidy(() => {
    const g = tf.div(magnitude, detachedColumnNorms(w, f)); // [out]
    let xd = x;
    let xw: tf.Tensor;
    if (dropout > 0 && ctx.training) {
      xd = ctx.dropout(x, dropout);
      const dIn = x.shape[x.rank - 1]!;
      xw = leanReshape(tf.matMul(tf.reshape(xd, [-1, dIn]), w), [...x.shape.slice(0, -1), w.shape[1]]);
    } else {
      xw = bias ? tf.sub(y, bias) : y;
    }
    const delta = loraDelta(xd, f, ctx, 0); // x̃·Aᵀ·s·Bᵀ
    return leanAdd(y, tf.add(tf.mul(tf.sub(g, 1), xw), tf.mul(g, delta)));
  });
}
