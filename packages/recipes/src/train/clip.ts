import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, hasFusedKernel, runFusedKernel } from '@peft/core';

/**
 * Σ of f(x) over every value of every tensor, on the backend (a float32 scalar): f(x) = x² (`squares`) or x·0
 * (`zeroed`: 0 when all are finite, NaN otherwise). One @peft/core `PeftReduceTotal` dispatch per tensor where the
 * backend has it, tfjs's Square (or Mul) and Sum otherwise.
 */
export function totalOver(tensors: readonly tf.Tensor[], of: 'squares' | 'zeroed'): tf.Scalar {
  return tf.tidy(() => {
    const fused = hasFusedKernel(FusedKernelNames.reduceTotal);
    const parts = tensors.map((t) =>
      fused ? runFusedKernel(FusedKernelNames.reduceTotal, { x: t }, { of }) : tf.sum(of === 'squares' ? tf.square(t) : tf.mul(t, 0)),
    );
    return tf.reshape(parts.length === 1 ? parts[0]! : tf.addN(parts), []) as tf.Scalar;
  });
}

/** √Σ‖g‖² of the gradients, on the backend (a scalar the caller disposes); the one formula every function here reads. */
export function globalNormTensor(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(totalOver(grads, 'squares')));
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
