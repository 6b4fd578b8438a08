import type * as tf from '@tensorflow/tfjs-core';
import { frozenNorm } from './frozen-norm.js';

/**
 * A frozen RMSNorm over the last axis (Llama, Qwen2, Mistral): x·r·γ with r = 1/√(mean(x²) + eps), as Hugging Face's
 * `LlamaRMSNorm` computes it in float32: {@link frozenNorm} without centring or β (the tape keeps x̂ = x·r and r; the
 * gradient is LayerNorm's without the centring term). γ is frozen: it gets no gradient.
 */
export class RmsNorm {
  private readonly op: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly weight: tf.Tensor1D, // γ [d]
    readonly eps: number,
  ) {
    this.op = frozenNorm(weight, undefined, eps, false);
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
