import type * as tf from '@tensorflow/tfjs-core';
import { frozenNorm } from './frozen-norm.js';

/**
 * A frozen LayerNorm over the last axis: (x − mean)/√(var + eps)·γ + β, biased variance as in PyTorch, under the custom
 * gradient of {@link frozenNorm} (the tape keeps x̂ and 1/σ; one fused kernel each way where the backend has them).
 * γ and β are frozen: they get no gradient.
 */
export class LayerNorm {
  private readonly op: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly weight: tf.Tensor1D, // γ [d]
    readonly bias: tf.Tensor1D, // β [d]
    readonly eps: number,
  ) {
    this.op = frozenNorm(weight, bias, eps, true);
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.op(x);
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}
