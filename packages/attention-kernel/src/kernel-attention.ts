import * as tf from '@tensorflow/tfjs-core';
import { BackendFeatures, backendHasFeature } from '@peft/core';
import { fusedAttention } from './fused-attention.js';
import { repeatKeyValueHeads } from './grouped-heads.js';
import { hasTiledAttention, tiledAttention } from './tiled-attention.js';
import { logSumExpLast } from './logsumexp.js';
import { attentionScores, maskScores, perQueryLogits, sharedScores } from './scores.js';
import type { KernelAttentionInput, KernelAttentionOutput } from './types.js';

/**
 * Attention as a Nadaraya–Watson kernel estimator, fast form. The ordinary supports (shared prefix keys, then the
 * real keys) are normalised by one softmax, f(Q_i) = softmax([S_sh, S]_i)·[V_sh; V]. A per-query support with logit
 * a_i = ⟨Q_i, P_k,i⟩/√p takes the weight
 *
 *     λ_i = exp(a_i) / (exp(a_i) + Σ_j exp(s_ij)) = sigmoid(a_i − logsumexp_j s_ij)
 *
 * of the same normalisation, so the output is (1 − λ_i)·f(Q_i) + λ_i·value_i. In `residual` mode value_i =
 * f(Q_i) + m_i and this is f(Q_i) + λ_i·m_i (paper eq. 8); in `absolute` mode it is the gated form. Nothing is
 * concatenated along the key axis for the per-query support, and λ comes from one stable log-sum-exp.
 */
export function kernelAttention(input: KernelAttentionInput): KernelAttentionOutput {
  return tf.tidy(() => {
    const { q, supports, dropout } = input;
    const p = q.shape[3];
    const scale = input.scale ?? 1 / Math.sqrt(p);
    const maskedValue = input.maskedValue ?? -1e4;
    const tiled = hasTiledAttention() && (!dropout || input.dropoutDraw);
    // grouped-query keys/values [B, H_kv, m, p]: read as they are where the tiled kernels take them, else repeated
    const repeat = input.k.shape[1] !== q.shape[1] && !(tiled && backendHasFeature(BackendFeatures.groupedKeyValueHeads));
    const k = repeat ? repeatKeyValueHeads(input.k, q.shape[1]) : input.k;
    const v = repeat ? repeatKeyValueHeads(input.v, q.shape[1]) : input.v;

    const pq = supports?.perQuery;
    if (tiled) {
      // tiles over the keys: nothing of size [B, H, n, l + m] (scores, probabilities, dropout mask) is ever held
      const unpadded = pq?.lambdaIgnoresPaddingMask === true && input.mask !== undefined;
      const draw = dropout ? input.dropoutDraw!() : undefined;
      const shared = supports?.shared;
      const { f, lse, lseUnpadded, lseShared } = tiledAttention(q, k, v, shared ? { keys: shared.keys, values: shared.values } : undefined, {
        scale,
        causal: input.causal === true,
        maskedValue,
        ...(input.mask ? { mask: input.mask } : {}),
        lse: unpadded ? 'unpadded' : 'masked',
        ...(draw ? { dropout: draw } : {}),
      });
      // the shared supports' total weight Σ_{t<l} P_t = exp(lse_sh − lse)
      const sharedWeight = lseShared ? (tf.squeeze(tf.exp(tf.sub(lseShared, lse)), [3]) as tf.Tensor3D) : undefined;
      if (!pq) return sharedWeight ? { output: f, sharedWeight } : { output: f };
      const out = withPerQuery(f, pq, tf.sub(perQueryLogits(q, pq.keys, scale), unpadded ? lseUnpadded! : lse), dropout);
      return sharedWeight ? { ...out, sharedWeight } : out;
    }
    if (!supports?.shared) {
      // scores, masks, softmax, dropout and λ's log-sum-exp under one custom gradient
      const { f, lse } = fusedAttention(q, k, v, {
        scale,
        causal: input.causal === true,
        maskedValue,
        ...(input.mask ? { mask: input.mask } : {}),
        lse: !pq ? 'none' : pq.lambdaIgnoresPaddingMask && input.mask ? 'unpadded' : 'masked',
        ...(dropout ? { dropout } : {}),
      });
      return pq ? withPerQuery(f, pq, tf.sub(perQueryLogits(q, pq.keys, scale), lse!), dropout) : { output: f };
    }

    const scores = attentionScores(q, k, scale); // [B, H, n, m]
    const { withPadding, causalOnly } = maskScores(scores, { causal: input.causal, mask: input.mask, maskedValue });

    const shared = supports?.shared;
    const sharedS = shared ? sharedScores(q, shared.keys, scale) : undefined; // [B, H, n, l]
    const ordinary = sharedS ? tf.concat([sharedS, withPadding], 3) : withPadding; // [B, H, n, l + m]
    const probs = tf.softmax(ordinary); // [B, H, n, l + m]
    const values = shared ? tf.concat([broadcastShared(shared.values, q.shape), v], 2) : v; // [B, H, l + m, p]
    const f = tf.matMul(dropout ? dropout(probs) : probs, values) as tf.Tensor4D; // [B, H, n, p]

    const l = sharedS ? sharedS.shape[3] : 0;
    const sharedWeight = sharedS
      ? (tf.sum(tf.slice(probs, [0, 0, 0, 0], [-1, -1, -1, l]), -1) as tf.Tensor3D)
      : undefined;

    if (!pq) return sharedWeight ? { output: f, sharedWeight } : { output: f };

    const a = perQueryLogits(q, pq.keys, scale); // [B, H, n, 1]
    const lambdaScores = pq.lambdaIgnoresPaddingMask
      ? sharedS
        ? tf.concat([sharedS, causalOnly], 3)
        : causalOnly
      : ordinary;
    const out = withPerQuery(f, pq, tf.sub(a, logSumExpLast(lambdaScores)), dropout);
    return sharedWeight ? { ...out, sharedWeight } : out;
  });
}

/**
 * The per-query support merged into the normalisation: λ_i = sigmoid(a_i − logsumexp_j s_ij) ([B, H, n, 1] logit
 * difference given), then o = f + λ·m (residual) or (1 − λ_raw)·f + λ·value (absolute); λ gets its own dropout.
 */
function withPerQuery(
  f: tf.Tensor4D,
  pq: NonNullable<NonNullable<KernelAttentionInput['supports']>['perQuery']>,
  logitGap: tf.Tensor,
  dropout: KernelAttentionInput['dropout'],
): { output: tf.Tensor4D; lambda: tf.Tensor3D } {
  const lambdaRaw = tf.sigmoid(logitGap); // [B, H, n, 1]
  const lambda = dropout ? dropout(lambdaRaw) : lambdaRaw;
  let output: tf.Tensor4D;
  if (pq.mode === 'residual') {
    output = pq.values ? (tf.add(f, tf.mul(lambda, pq.values)) as tf.Tensor4D) : f;
  } else {
    const gated = tf.mul(tf.sub(1, lambdaRaw), f) as tf.Tensor4D;
    output = pq.values ? (tf.add(gated, tf.mul(lambda, pq.values)) as tf.Tensor4D) : gated;
  }
  return { output, lambda: tf.squeeze(lambda, [3]) as tf.Tensor3D };
}

/** Shared values [H, l, p] or [B, H, l, p] → [B, H, l, p]. */
export function broadcastShared(values: tf.Tensor, qShape: readonly number[]): tf.Tensor4D {
  if (values.rank === 4) return values as tf.Tensor4D;
  return tf.broadcastTo(tf.expandDims(values, 0), [qShape[0]!, qShape[1]!, values.shape[1]!, values.shape[2]!]) as tf.Tensor4D;
}
