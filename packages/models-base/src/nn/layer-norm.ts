import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './tidy.js';

/**
 * A frozen LayerNorm over the last axis: (x − mean)/√(var + eps)·γ + β, biased variance as in PyTorch. Under a custom
 * gradient that keeps only x̂ = (x − mean)·r and r = 1/√(var + eps) for the backward pass, where
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),   g = dy·γ
 * — differentiating through `moments` instead keeps about six [N, d] tensors per LayerNorm and runs ~15 kernels.
 * γ and β are frozen: they get no gradient.
 */
export class LayerNorm {
  private readonly op: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly weight: tf.Tensor1D, // γ [d]
    readonly bias: tf.Tensor1D, // β [d]
    readonly eps: number,
  ) {
    this.op = customOp(([x], save) => {
      const { normed, rstd } = this.normalise(x!);
      save([normed, rstd]);
      return {
        value: tf.add(tf.mul(normed, this.weight), this.bias),
        gradFunc: (dy, [xh, r]) =>
          tf.tidy(() => {
            const g = tf.mul(dy, this.weight); // [..., d]
            const meanG = tf.mean(g, -1, true); // [..., 1]
            const meanGx = tf.mean(tf.mul(g, xh!), -1, true); // [..., 1]
            return tf.mul(tf.sub(tf.sub(g, meanG), tf.mul(xh!, meanGx)), r!);
          }),
      };
    }) as (x: tf.Tensor) => tf.Tensor;
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.op(x);
  }

  /** x̂ = (x − mean)·r and r = 1/√(var + eps) [..., 1]. */
  private normalise(x: tf.Tensor): { normed: tf.Tensor; rstd: tf.Tensor } {
    return tf.tidy(() => {
      // tf.moments' own steps, keeping x − mean for x̂ instead of computing it twice
      const centred = tf.sub(x, tf.mean(x, -1, true));
      const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), this.eps));
      return { normed: tf.mul(centred, rstd), rstd };
    });
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}
