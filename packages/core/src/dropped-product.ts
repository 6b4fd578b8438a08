import * as tf from '@tensorflow/tfjs-core';
import { BackendFeatures, backendHasFeature } from './backend-features.js';
import type { ForwardContext } from './context.js';
import { FusedKernelNames, hasFusedKernel, runFusedKernel } from './fused-kernels.js';

/**
 * dropout(x)·Wᵀ for x [..., d_in] and W [r, d_in] → [N, r] (N the product of x's leading axes): a low-rank method's
 * first product (LoRA's A). Composed, the tape keeps the dropped x — one [N, d_in] tensor per site, though q, k and v
 * (or an FFN's gate and up) read the same x. Where the backend draws dropout masks natively and says a redraw is
 * cheaper than keeping one (`redrawnDropoutMasks`), this op keeps x and W instead (sibling sites share x's data) and
 * the backward draws the mask again from its seed:
 *   dx = (dy·W)∘mask,   dW = dyᵀ·(x∘mask).
 * The values are the composed form's, bit for bit (the same Multiply and MatMul; the seed is the one `ctx.dropout`
 * would use for this call). Elsewhere, and when the rate is 0 or the context does not train, it is the composed form.
 */
export function droppedMatMulT(x: tf.Tensor, w: tf.Tensor2D, ctx: ForwardContext, rate: number): tf.Tensor2D {
  const dIn = x.shape[x.rank - 1]!;
  const redraw = rate > 0 && ctx.training && ctx.dropoutDraw !== undefined && hasFusedKernel(FusedKernelNames.dropoutMask) && backendHasFeature(BackendFeatures.redrawnDropoutMasks);
  if (!redraw) {
    return tf.tidy(() => {
      const xd = rate > 0 ? ctx.dropout(x, rate) : x;
      return tf.matMul(tf.reshape(xd, [-1, dIn]) as tf.Tensor2D, w, false, true);
    });
  }
  const draw = ctx.dropoutDraw!(rate);
  if (!draw) return tf.tidy(() => tf.matMul(tf.reshape(x, [-1, dIn]) as tf.Tensor2D, w, false, true));
  const shape = [...x.shape];
  const mask = () => runFusedKernel(FusedKernelNames.dropoutMask, {}, { shape, seed: draw.seed, rate: draw.rate });
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xx, ww] = args as [tf.Tensor, tf.Tensor2D];
    (args[2] as tf.GradSaveFunc)([xx, ww]);
    return {
      value: tf.tidy(() => tf.matMul(tf.reshape(tf.mul(xx, mask()), [-1, dIn]) as tf.Tensor2D, ww, false, true)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xs, ws] = saved as [tf.Tensor, tf.Tensor2D];
          const m = mask();
          const dx = tf.mul(tf.reshape(tf.matMul(dy as tf.Tensor2D, ws, false, false), shape), m);
          const dw = tf.matMul(dy as tf.Tensor2D, tf.reshape(tf.mul(xs, m), [-1, dIn]) as tf.Tensor2D, true, false);
          return [dx, dw];
        }),
    };
  });
  return op(x, w) as tf.Tensor2D;
}
