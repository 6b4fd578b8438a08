import * as tf from '@tensorflow/tfjs-core';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GPT-2's `gelu_new`, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). x³ as x·x·x (fast on wasm). */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const cube = tf.mul(tf.mul(x, x), x);
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/** The exact GELU (RoBERTa's `gelu`): 0.5·x·(1 + erf(x/√2)). */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

export type Activation = (x: tf.Tensor) => tf.Tensor;

/** The activations a Hugging Face config may name that this package implements. */
export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  gelu: geluErf,
};
