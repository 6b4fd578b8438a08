import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@peft/core';
import { broadcastShared } from './kernel-attention.js';
import { attentionScores, maskScores, perQueryLogits, sharedScores } from './scores.js';
import type { ExplicitKernelAttentionOutput, KernelAttentionInput } from './types.js';

/**
 * The explicit estimator, for reading and testing: it materialises the augmented kernel matrix
 * M = [diag(κ(q_i, P_k,i)) | κ(Q, K_sh) | κ(Q, K)], the normaliser D = M·1 and the augmented values C, and returns
 * D⁻¹·M·C. No softmax and no max-subtraction: keep the inputs of moderate size. Inference only (no dropout).
 *
 * In `residual` mode the per-query value is C_i = f(Q_i) + m_i, where f is the estimator over the ordinary supports
 * alone; that it then equals the fast form's f(Q_i) + λ_i·m_i is paper eq. 7 = eq. 8.
 * With `lambdaIgnoresPaddingMask`, λ_i is normalised over the keys without the padding mask (the reference quirk);
 * the per-query kernel entry is then the one that gives that weight under the masked normaliser.
 */
export function explicitKernelAttention(input: KernelAttentionInput): ExplicitKernelAttentionOutput {
  if (input.dropout) throw new ConfigError('dropout', 'the explicit estimator is for inference; it takes no dropout');
  return tf.tidy(() => {
    const { q, k, v, supports } = input;
    const [b, h, n, p] = q.shape;
    const scale = input.scale ?? 1 / Math.sqrt(p);
    const maskedValue = input.maskedValue ?? -1e4;

    const { withPadding, causalOnly } = maskScores(attentionScores(q, k, scale), {
      causal: input.causal,
      mask: input.mask,
      maskedValue,
    });
    const kernelKeys = tf.exp(withPadding); // [B, H, n, m]; masked entries are exp(−1e4) = 0
    const blocks: tf.Tensor4D[] = [];
    const valueBlocks: tf.Tensor4D[] = [];
    let sharedKernel: tf.Tensor4D | undefined;
    if (supports?.shared) {
      sharedKernel = tf.exp(sharedScores(q, supports.shared.keys, scale)) as tf.Tensor4D; // [B, H, n, l]
      blocks.push(sharedKernel);
      valueBlocks.push(broadcastShared(supports.shared.values, q.shape));
    }
    blocks.push(kernelKeys as tf.Tensor4D);
    valueBlocks.push(v);

    // the ordinary estimator f(Q) = D_o⁻¹ M_o C_o
    const ordinaryKernel = blocks.length > 1 ? tf.concat(blocks, 3) : blocks[0]!;
    const ordinaryValues = valueBlocks.length > 1 ? tf.concat(valueBlocks, 2) : valueBlocks[0]!;
    const ordinaryNorm = tf.sum(ordinaryKernel, -1, true); // [B, H, n, 1]
    const f = tf.div(tf.matMul(ordinaryKernel, ordinaryValues), ordinaryNorm) as tf.Tensor4D;

    const pq = supports?.perQuery;
    let sharedWeight: tf.Tensor3D | undefined;
    if (!pq) {
      if (sharedKernel) sharedWeight = tf.squeeze(tf.div(tf.sum(sharedKernel, -1, true), ordinaryNorm), [3]) as tf.Tensor3D;
      const out = { output: f, kernel: ordinaryKernel as tf.Tensor4D, normaliser: tf.squeeze(ordinaryNorm, [3]) as tf.Tensor3D, values: ordinaryValues as tf.Tensor4D };
      return sharedWeight ? { ...out, sharedWeight } : out;
    }

    let selfKernel = tf.exp(perQueryLogits(q, pq.keys, scale)); // [B, H, n, 1]
    if (pq.lambdaIgnoresPaddingMask && input.mask) {
      // λ = κ_i / (κ_i + Σ_sh κ + Σ_j exp(s_ij without padding)); pick κ̃_i with κ̃_i / (κ̃_i + D_o) = λ.
      const unpadded = tf.add(tf.sum(tf.exp(causalOnly), -1, true), sharedKernel ? tf.sum(sharedKernel, -1, true) : 0);
      const lam = tf.div(selfKernel, tf.add(selfKernel, unpadded));
      selfKernel = tf.div(tf.mul(lam, ordinaryNorm), tf.sub(1, lam));
    }
    const eye = tf.reshape(tf.eye(n), [1, 1, n, n]);
    const diagonal = tf.mul(selfKernel, eye) as tf.Tensor4D; // [B, H, n, n], row i holds κ_i at column i
    const selfValues =
      pq.mode === 'residual'
        ? pq.values
          ? tf.add(f, pq.values)
          : f
        : pq.values ?? tf.zeros([b, h, n, p]);

    const kernel = tf.concat([diagonal, ordinaryKernel], 3) as tf.Tensor4D; // [B, H, n, n + l + m]
    const values = tf.concat([selfValues, ordinaryValues], 2) as tf.Tensor4D; // [B, H, n + l + m, p]
    const normaliser = tf.sum(kernel, -1, true); // [B, H, n, 1]
    const output = tf.div(tf.matMul(kernel, values), normaliser) as tf.Tensor4D;
    const lambda = tf.squeeze(tf.div(selfKernel, normaliser), [3]) as tf.Tensor3D;
    // as in the fast form: the shared supports' share of the ordinary normalisation
    if (sharedKernel) sharedWeight = tf.squeeze(tf.div(tf.sum(sharedKernel, -1, true), ordinaryNorm), [3]) as tf.Tensor3D;
    const out = { output, lambda, kernel, normaliser: tf.squeeze(normaliser, [3]) as tf.Tensor3D, values };
    return sharedWeight ? { ...out, sharedWeight } : out;
  });
}
