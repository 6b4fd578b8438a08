import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@peft/core';
import { kernelAttention, maskScores, perQueryLogits, type KernelAttentionInput } from '@peft/attention-kernel';

/**
 * The attention of `kernelAttention` without shared supports, written plainly from tfjs ops so that tfjs's autodiff
 * differentiates every step (scores, causal replacement, padding, softmax, dropout, λ's log-sum-exp): the reference the
 * fused custom gradient is checked against.
 */
export function autodiffAttention(input: KernelAttentionInput): { output: tf.Tensor4D; lambda?: tf.Tensor3D } {
  const { q, k, v, dropout } = input;
  const scale = 1 / Math.sqrt(q.shape[3]);
  const { withPadding, causalOnly } = maskScores(tf.mul(tf.matMul(q, k, false, true), scale), { causal: input.causal, mask: input.mask, maskedValue: -1e4 });
  const probs = tf.softmax(withPadding);
  const f = tf.matMul(dropout ? dropout(probs) : probs, v) as tf.Tensor4D;
  const pq = input.supports?.perQuery;
  if (!pq) return { output: f };
  const lse = tf.logSumExp(pq.lambdaIgnoresPaddingMask ? causalOnly : withPadding, -1, true);
  const lambdaRaw = tf.sigmoid(tf.sub(perQueryLogits(q, pq.keys, scale), lse));
  const lambda = dropout ? dropout(lambdaRaw) : lambdaRaw;
  const output =
    pq.mode === 'residual'
      ? pq.values ? tf.add(f, tf.mul(lambda, pq.values)) : f
      : tf.add(tf.mul(tf.sub(1, lambdaRaw), f), pq.values ? tf.mul(lambda, pq.values) : 0);
  return { output: output as tf.Tensor4D, lambda: tf.squeeze(lambda, [3]) as tf.Tensor3D };
}

/** A dropout that multiplies by a fixed pseudo-random 0 / 1/(1 − rate) mask per call (by call order), like a training context. */
export function replayableDropout(seed: number, rate = 0.3): (x: tf.Tensor) => tf.Tensor {
  let call = 0;
  return (x) => {
    const rng = new Rng(seed * 1000 + call++);
    const mask = tf.tensor(Array.from({ length: x.size }, () => (rng.uniform() < rate ? 0 : 1 / (1 - rate))), x.shape);
    return tf.mul(x, mask);
  };
}

export interface GradientCase {
  name: string;
  m: number;
  causal?: boolean;
  pad?: boolean;
  perQuery?: 'residual' | 'absolute';
  pqValues?: boolean;
  ignorePad?: boolean;
  dropout?: boolean;
}

export const GRADIENT_CASES: GradientCase[] = [
  { name: 'plain', m: 6 },
  { name: 'causal, dropout', m: 6, causal: true, dropout: true },
  { name: 'causal with a cache (m > n)', m: 9, causal: true },
  { name: 'padding', m: 6, pad: true, dropout: true },
  { name: 'inducer: residual λ, causal, dropout', m: 6, causal: true, perQuery: 'residual', dropout: true },
  { name: 'inducer with values, padding', m: 6, pad: true, perQuery: 'residual', pqValues: true },
  { name: 'gated, causal, cache', m: 8, causal: true, perQuery: 'absolute', pqValues: true, dropout: true },
  { name: "RoBERTa's quirk: λ over unpadded keys", m: 6, pad: true, perQuery: 'residual', pqValues: true, ignorePad: true, dropout: true },
];

/**
 * Gradients of a fixed random projection of (output, λ) with respect to q, k, v and the per-query keys and values,
 * through `kernelAttention` (fused) and through {@link autodiffAttention}; returns the worst difference relative to
 * the gradient's size, and the smallest gradient size (to show every path carries gradient).
 */
export function compareGradients(c: GradientCase, seed = 1): { worst: number; smallest: number; valueDiff: number } {
  return tf.tidy(() => {
    const [B, H, n, p] = [2, 3, 5, 8];
    const rng = new Rng(seed);
    const rand = (shape: number[], s = 1) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * s), shape);
    const q = rand([B, H, n, p]) as tf.Tensor4D;
    const k = rand([B, H, c.m, p]) as tf.Tensor4D;
    const v = rand([B, H, c.m, p]) as tf.Tensor4D;
    const pk = rand([B, H, n, p]) as tf.Tensor4D;
    const pv = rand([B, H, n, p]) as tf.Tensor4D;
    const mask = c.pad ? tf.tensor([...new Array(c.m).fill(0), ...new Array(c.m - 2).fill(0), -1e4, -1e4], [B, 1, 1, c.m]) : undefined;
    const wOut = rand([B, H, n, p]);
    const wLam = rand([B, H, n]);
    const used = [0, 1, 2, ...(c.perQuery ? [3] : []), ...(c.pqValues ? [4] : [])];
    const loss = (attn: typeof kernelAttention, given: tf.Tensor[]) => {
      const all = [q, k, v, pk, pv];
      used.forEach((u, i) => (all[u] = given[i] as tf.Tensor4D));
      const [qq, kk, vv, pkk, pvv] = all as tf.Tensor4D[];
      const out = attn({
        q: qq!, k: kk!, v: vv!,
        ...(c.causal ? { causal: true } : {}),
        ...(mask ? { mask } : {}),
        ...(c.perQuery
          ? { supports: { perQuery: { keys: pkk!, mode: c.perQuery, ...(c.pqValues ? { values: pvv! } : {}), ...(c.ignorePad ? { lambdaIgnoresPaddingMask: true } : {}) } } }
          : {}),
        ...(c.dropout ? { dropout: replayableDropout(seed) } : {}),
      });
      return tf.add(tf.sum(tf.mul(out.output, wOut)), out.lambda ? tf.sum(tf.mul(out.lambda, wLam)) : 0) as tf.Scalar;
    };
    const xs = used.map((u) => [q, k, v, pk, pv][u]!);
    const fused = tf.valueAndGrads((...a: tf.Tensor[]) => loss(kernelAttention, a))(xs);
    const plain = tf.valueAndGrads((...a: tf.Tensor[]) => loss(autodiffAttention as typeof kernelAttention, a))(xs);
    let worst = 0;
    let smallest = Infinity;
    for (const i of used.keys()) {
      const size = tf.max(tf.abs(plain.grads[i]!)).dataSync()[0]!;
      const diff = tf.max(tf.abs(tf.sub(fused.grads[i]!, plain.grads[i]!))).dataSync()[0]!;
      worst = Math.max(worst, diff / size);
      smallest = Math.min(smallest, size);
    }
    return { worst, smallest, valueDiff: Math.abs(fused.value.dataSync()[0]! - plain.value.dataSync()[0]!) };
  });
}
