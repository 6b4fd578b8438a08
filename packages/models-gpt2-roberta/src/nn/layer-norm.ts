import * as tf from '@tensorflow/tfjs-core';

/** A frozen LayerNorm over the last axis: (x − mean)/√(var + eps)·γ + β, biased variance as in PyTorch. */
export class LayerNorm {
  constructor(
    readonly weight: tf.Tensor1D, // γ [d]
    readonly bias: tf.Tensor1D, // β [d]
    readonly eps: number,
  ) {}

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(normed, this.weight), this.bias);
    });
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}
