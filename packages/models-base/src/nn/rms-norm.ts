import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, hasFusedKernel, runFusedKernel, runFusedKernelOutputs } from '@peft/core';
import { customOp } from './tidy.js';

/**
 * A frozen RMSNorm over the last axis (Llama, Qwen2, Mistral): x·r·γ with r = 1/√(mean(x²) + eps), as Hugging Face's
 * `LlamaRMSNorm` computes it in float32. Under a custom gradient that keeps only x̂ = x·r and r for the backward pass:
 *   dx = r·(g − x̂·mean(g·x̂)),   g = dy·γ
 * (the LayerNorm gradient without the centring terms). Where the backend has @peft/core's fused `PeftLayerNorm` and
 * its gradient (@peft/blas), each way is that kernel without centring. γ is frozen: it gets no gradient.
 */
export class RmsNorm {
  private readonly op: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly weight: tf.Tensor1D, // γ [d]
    readonly eps: number,
  ) {
    this.op = customOp(([x], save) => {
      const fused = hasFusedKernel(FusedKernelNames.layerNorm) && hasFusedKernel(FusedKernelNames.layerNormGrad);
      let value: tf.Tensor, normed: tf.Tensor, rstd: tf.Tensor;
      if (fused) {
        [value, normed, rstd] = runFusedKernelOutputs(FusedKernelNames.layerNorm, { x: x!, gamma: this.weight }, { eps: this.eps, centre: false }) as [tf.Tensor, tf.Tensor, tf.Tensor];
      } else {
        ({ normed, rstd } = tf.tidy(() => {
          const r = tf.rsqrt(tf.add(tf.mean(tf.square(x!), -1, true), this.eps)); // [..., 1]
          return { normed: tf.mul(x!, r), rstd: r };
        }));
        value = tf.mul(normed, this.weight);
      }
      save([normed, rstd]);
      normed.dispose();
      rstd.dispose();
      return {
        value,
        gradFunc: (dy, [xh, r]) =>
          tf.tidy(() => {
            if (fused) return runFusedKernel(FusedKernelNames.layerNormGrad, { dy, normed: xh!, rstd: r!, gamma: this.weight }, { centre: false });
            const g = tf.mul(dy, this.weight); // [..., d]
            const meanGx = tf.mean(tf.mul(g, xh!), -1, true); // [..., 1]
            return tf.mul(tf.sub(g, tf.mul(xh!, meanGx)), r!);
          }),
      };
    }) as (x: tf.Tensor) => tf.Tensor;
  }

  get size(): number {
    return this.weight.shape[0];
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.op(x);
  }

  dispose(): void {
    this.weight.dispose();
  }
}
