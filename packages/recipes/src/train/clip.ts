import * as tf from '@tensorflow/tfjs-core';

/** √Σ‖g‖² of the gradients, on the backend (a scalar the caller disposes); the one formula every function here reads. */
function globalNormTensor(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** Reads a scalar back asynchronously (as a GPU backend requires) and disposes it. */
async function readScalar(t: tf.Scalar): Promise<number> {
  try {
    return (await t.data())[0]!;
  } finally {
    t.dispose();
  }
}

/**
 * `torch.nn.utils.clip_grad_norm_(params, maxNorm)`: total = √Σ‖g‖², and if maxNorm/(total + 1e-6) < 1 every gradient
 * is scaled by it. Returns the new gradients (the caller disposes both lists) and the norm before clipping (read back
 * asynchronously, as a GPU backend requires).
 */
export async function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): Promise<{ grads: tf.Tensor[]; norm: number }> {
  const norm = await readScalar(globalNormTensor(grads));
  const coef = maxNorm / (norm + 1e-6);
  if (!(coef < 1)) return { grads: grads.map((g) => tf.clone(g)), norm };
  return { grads: grads.map((g) => tf.tidy(() => tf.mul(g, coef))), norm };
}

/** √Σ‖g‖² of the gradients, read back asynchronously (what {@link clipByGlobalNorm} reports, without clipping). */
export async function globalNorm(grads: readonly tf.Tensor[]): Promise<number> {
  if (grads.length === 0) return 0;
  return readScalar(globalNormTensor(grads));
}

/**
 * {@link clipByGlobalNorm} without reading the norm back inside the step: the coefficient min(1, maxNorm/(total +
 * 1e-6)) is computed on the backend and every gradient multiplied by it (by exactly 1 where nothing is clipped, so the
 * gradients are bit-identical there; where clipped, the coefficient is float32 rather than float64). The norm is
 * returned as a scalar tensor, to be read with the loss once the step's work is queued (the caller disposes it and
 * the gradients). On a GPU backend the readback is what stalls a step: the CPU waits for every kernel before it.
 */
export function clipByGlobalNormOnDevice(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = globalNormTensor(grads);
    const coef = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6))));
    return { grads: grads.map((g) => tf.mul(g, coef)), norm };
  });
}
