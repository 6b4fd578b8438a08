import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, hasFusedKernel, runFusedKernel, runFusedKernelOutputs } from '@peft/core';
import { customOp } from './tidy.js';

/**
 * A frozen LayerNorm over the last axis: (x − mean)/√(var + eps)·γ + β, biased variance as in PyTorch. Under a custom
 * gradient that keeps only x̂ = (x − mean)·r and r = 1/√(var + eps) for the backward pass, where
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),   g = dy·γ
 * — differentiating through `moments` instead keeps about six [N, d] tensors per LayerNorm and runs ~15 kernels.
 * Where the backend has @peft/core's fused `PeftLayerNorm` and `PeftLayerNormGrad` (@peft/blas), each way is one
 * kernel; otherwise nine and eight tfjs ops. γ and β are frozen: they get no gradient.
 */
export class LayerNorm {
  private readonly op: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly weight: tf.Tensor1D, // γ [d]
    readonly bias: tf.Tensor1D, // β [d]
    readonly eps: number,
  ) {
    this.op = customOp(([x], save) => {
      const fused = hasFusedKernel(FusedKernelNames.layerNorm) && hasFusedKernel(FusedKernelNames.layerNormGrad);
      const { y, normed, rstd } = fused ? this.fusedForward(x!) : this.composedForward(x!);
      save([normed, rstd]);
      return {
        value: y,
        gradFunc: (dy, [xh, r]) =>
          tf.tidy(() => {
            if (fused) return runFusedKernel(FusedKernelNames.layerNormGrad, { dy, normed: xh!, rstd: r!, gamma: this.weight }, { centre: true });
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

  /** y, x̂ = (x − mean)·r and r = 1/√(var + eps) [..., 1], from tfjs ops. */
  private composedForward(x: tf.Tensor): { y: tf.Tensor; normed: tf.Tensor; rstd: tf.Tensor } {
    return tf.tidy(() => {
      // tf.moments' own steps, keeping x − mean for x̂ instead of computing it twice
      const centred = tf.sub(x, tf.mean(x, -1, true));
      const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), this.eps));
      const normed = tf.mul(centred, rstd);
      return { y: tf.add(tf.mul(normed, this.weight), this.bias), normed, rstd };
    });
  }

  /** The same in one fused kernel. */
  private fusedForward(x: tf.Tensor): { y: tf.Tensor; normed: tf.Tensor; rstd: tf.Tensor } {
    const [y, normed, rstd] = runFusedKernelOutputs(FusedKernelNames.layerNorm, { x, gamma: this.weight, beta: this.bias }, { eps: this.eps, centre: true });
    return { y: y!, normed: normed!, rstd: rstd! };
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}
