import * as tf from '@tensorflow/tfjs-core';

/**
 * Optional fused kernels. An accelerator (such as @peft/blas or @peft/webgpu) may register these kernel names into a
 * TensorFlow.js backend; models and methods call them when the active backend has them and compose the same function
 * from tfjs ops otherwise, so results agree to float32 rounding either way. Each is a forward or backward piece used
 * inside a custom gradient, never differentiated by tfjs itself.
 *
 * - `PeftGeluTanh`: inputs `{ x }` → y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GPT-2's `gelu_new`), float32.
 * - `PeftGeluTanhGrad`: inputs `{ x, dy }` (same shape) → dy·d/dx gelu_new(x), float32.
 * - `PeftSoftmaxCrossEntropy`: inputs `{ logits [r, V] float32, labels [r] int32 }`, attrs `{ labelSmoothing: ε }` →
 *   [r, 2] float32, per row: logsumexp_j z_j, and the smoothed cross-entropy lse − (1 − ε)·z_y − ε·mean_j z_j.
 * - `PeftSoftmaxCrossEntropyGrad`: inputs `{ logits [r, V], lse [r], labels [r] int32, weights [r] }`, attrs
 *   `{ labelSmoothing: ε }` → [r, V] float32: (exp(z − lse) − (1 − ε)·[j = y] − ε/V)·w, the loss's gradient per unit
 *   upstream gradient (the LM loss's two passes over the [rows, vocabulary] logits).
 * - `PeftGeluErf`, `PeftGeluErfGrad`: as the tanh GELU's, for the exact GELU 0.5·x·(1 + erf(x/√2)) (RoBERTa's `gelu`).
 * - `PeftMaskedSoftmax`: inputs `{ scores [B, H, n, m] float32, mask? }` (mask: additive, broadcastable to the scores),
 *   attrs `{ scale, causal, maskedValue, lse: 'none' | 'masked' | 'unpadded' }`. With s' = scale·s on the keys query i
 *   sees (causal: j ≤ m − n + i) and `maskedValue` elsewhere, and s'' = s' + mask: → `[P = softmax(s'')]`, with
 *   `lse: 'masked'` → `[P, logsumexp(s'') [B, H, n, 1]]`, with `'unpadded'` → `[P, logsumexp(s'), softmax(s')]`.
 * - `PeftMaskedSoftmaxGrad`: inputs `{ probs P, dProbs, dLse? [B, H, n, 1], lseProbs? }`, attrs `{ scale, causal }` →
 *   dScores = scale·[j visible]·(P∘(dP − Σ_j dP_j·P_j) + dLse·(lseProbs ?? P)): the gradient of the above with respect to the
 *   raw scores, through P and through the log-sum-exp; [j visible] is 0 on keys the causal limit hides (the dropout
 *   mask is not an input: it is already in dP).
 * - `PeftDropoutMask`: no inputs, attrs `{ shape, seed: string, rate }` → float32 mask of `shape`, bit for bit
 *   floor(randomUniform(shape, 0, 1, 'float32', seed) + (1 − rate))·(1/(1 − rate)) as tfjs computes it (0 or 1/keep).
 */
export const FusedKernelNames = {
  geluTanh: 'PeftGeluTanh',
  geluTanhGrad: 'PeftGeluTanhGrad',
  softmaxCrossEntropy: 'PeftSoftmaxCrossEntropy',
  softmaxCrossEntropyGrad: 'PeftSoftmaxCrossEntropyGrad',
  geluErf: 'PeftGeluErf',
  geluErfGrad: 'PeftGeluErfGrad',
  maskedSoftmax: 'PeftMaskedSoftmax',
  maskedSoftmaxGrad: 'PeftMaskedSoftmaxGrad',
  dropoutMask: 'PeftDropoutMask',
} as const;

export type FusedKernelName = (typeof FusedKernelNames)[keyof typeof FusedKernelNames];

/** Whether the active backend has the fused kernel `name` registered. */
export function hasFusedKernel(name: FusedKernelName): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Runs a registered fused kernel on the active backend (check {@link hasFusedKernel} first). */
export function runFusedKernel(name: FusedKernelName, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
}

/** Runs a registered fused kernel with several outputs on the active backend (check {@link hasFusedKernel} first). */
export function runFusedKernelOutputs(name: FusedKernelName, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}
