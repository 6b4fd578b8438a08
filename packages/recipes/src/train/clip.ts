import * as tf from '@tensorflow/tfjs-core';

/**
 * `torch.nn.utils.clip_grad_norm_(params, maxNorm)`: total = √Σ‖g‖², and if maxNorm/(total + 1e-6) < 1 every gradient
 * is scaled by it. Returns the new gradients (the caller disposes both lists) and the norm before clipping (read back
 * asynchronously, as a GPU backend requires).
 */
export async function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): Promise<{ grads: tf.Tensor[]; norm: number }> {
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  let norm: number;
  try {
    norm = (await normT.data())[0]!;
  } finally {
    normT.dispose();
  }
  const coef = maxNorm / (norm + 1e-6);
  if (!(coef < 1)) return { grads: grads.map((g) => tf.clone(g)), norm };
  return { grads: grads.map((g) => tf.tidy(() => tf.mul(g, coef))), norm };
}

/** √Σ‖g‖² of the gradients, read back asynchronously (what {@link clipByGlobalNorm} reports, without clipping). */
export async function globalNorm(grads: readonly tf.Tensor[]): Promise<number> {
  if (grads.length === 0) return 0;
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  try {
    return (await normT.data())[0]!;
  } finally {
    normT.dispose();
  }
}
