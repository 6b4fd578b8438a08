import type * as tf from '@tensorflow/tfjs-core';
import type { AttentionSupports, DropoutDraw } from '@peft/core';

/** The inputs of attention seen as a kernel estimator. */
export interface KernelAttentionInput {
  /** [B, H, n, p] queries. */
  readonly q: tf.Tensor4D;
  /**
   * [B, H, m, p] keys (m ≥ n; with a KV cache the queries are the last n positions), or [B, H_kv, m, p] with H_kv
   * dividing H (grouped-query attention: query head j reads key/value head ⌊j / (H/H_kv)⌋; read in place by tiled
   * kernels that take them, repeated otherwise).
   */
  readonly k: tf.Tensor4D;
  /** [B, H, m, p] values, or [B, H_kv, m, p] as k. */
  readonly v: tf.Tensor4D;
  /**
   * Causal masking: query i (at absolute position m − n + i) sees keys j ≤ m − n + i. Masked scores are *replaced*
   * by `maskedValue` (GPT-2's reference uses −1e4, not −∞), and λ sees the same masked scores.
   */
  readonly causal?: boolean;
  /** Additive mask broadcastable to [B, H, n, m] (0 = keep, large negative = drop), e.g. padding [B, 1, 1, m]. */
  readonly mask?: tf.Tensor;
  /** Extra supports merged into the same normalisation. */
  readonly supports?: Pick<AttentionSupports, 'shared' | 'perQuery'>;
  /**
   * Dropout on attention probabilities (ordinary and shared weights); also applied to λ with an independent call,
   * as the reference does. Omit for inference.
   */
  readonly dropout?: (probs: tf.Tensor) => tf.Tensor;
  /**
   * The same attention dropout as a seed (the call `dropout` would make, consumed instead of it): lets a tiled kernel
   * draw the mask itself, row by row, with the values `dropout` would multiply by. Without it, dropout keeps the
   * attention on the dense path.
   */
  readonly dropoutDraw?: () => DropoutDraw | undefined;
  /** Score scale; default 1/√p. */
  readonly scale?: number;
  /** What masked causal scores become; default −1e4 (the reference's `masked_bias`). */
  readonly maskedValue?: number;
}

export interface KernelAttentionOutput {
  /** [B, H, n, p]. */
  readonly output: tf.Tensor4D;
  /** [B, H, n] weight of each query's own support (after λ's dropout in training); absent without per-query supports. */
  readonly lambda?: tf.Tensor3D;
  /** [B, H, n] total weight the ordinary normalisation gives the shared supports; absent without them. */
  readonly sharedWeight?: tf.Tensor3D;
}

/** The explicit estimator's parts: output_i = Σ_j M_ij C_j / D_i over the augmented support set. */
export interface ExplicitKernelAttentionOutput extends KernelAttentionOutput {
  /**
   * [B, H, n, s] the augmented kernel matrix M_ij = κ(q_i, key_j) = exp(⟨q_i, key_j⟩·scale) (0 where masked), with
   * the s = n + l + m supports ordered as: the n per-query supports (query i sees only its own: a diagonal block),
   * the l shared supports, the m ordinary keys. Without per-query or shared supports those blocks are absent.
   */
  readonly kernel: tf.Tensor4D;
  /** [B, H, n] the normaliser D_i = Σ_j M_ij. */
  readonly normaliser: tf.Tensor3D;
  /** [B, H, s, p] the values C_j of the augmented supports (per-query: f(Q_i) + m_i in residual mode). */
  readonly values: tf.Tensor4D;
}
