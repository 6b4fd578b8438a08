import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@peft/core';
import { explicitKernelAttention, kernelAttention, type KernelAttentionInput } from '@peft/attention-kernel';
import { describe, expect, it } from 'vitest';
import { referenceAttention, type Mat } from './reference.js';

const B = 2, H = 3, n = 5, p = 4, l = 3;

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: size }, () => rng.normal() * scale), shape);
}
const slice2 = (t: tf.Tensor, b: number, h: number): Mat => (t.arraySync() as number[][][][])[b]![h]!;
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

interface Case {
  name: string;
  m: number;
  causal?: boolean;
  pad?: boolean;
  shared?: boolean;
  perQuery?: 'residual' | 'absolute';
  pqValues?: boolean;
  ignorePad?: boolean;
}
const cases: Case[] = [
  { name: 'plain', m: n },
  { name: 'causal', m: n, causal: true },
  { name: 'causal with cache (m > n)', m: n + 3, causal: true },
  { name: 'padding mask', m: n, pad: true },
  { name: 'shared supports', m: n, shared: true },
  { name: 'shared + causal + padding', m: n, shared: true, causal: true, pad: true },
  { name: 'per-query residual', m: n, perQuery: 'residual', pqValues: true, causal: true },
  { name: 'per-query residual, no values (λ only)', m: n, perQuery: 'residual' },
  { name: 'per-query absolute (gating)', m: n, perQuery: 'absolute', pqValues: true, causal: true },
  { name: 'per-query + shared + padding', m: n, perQuery: 'residual', pqValues: true, shared: true, pad: true },
  { name: 'per-query, λ ignores padding (RoBERTa quirk)', m: n, perQuery: 'residual', pqValues: true, pad: true, ignorePad: true },
  { name: 'all of it, gated, quirk', m: n + 2, causal: true, perQuery: 'absolute', pqValues: true, shared: true, pad: true, ignorePad: true },
];

function build(c: Case, seed = 1) {
  const q = rand([B, H, n, p], seed) as tf.Tensor4D;
  const k = rand([B, H, c.m, p], seed + 1) as tf.Tensor4D;
  const v = rand([B, H, c.m, p], seed + 2) as tf.Tensor4D;
  // padding: batch row 1 drops its last two keys
  const padVals = [new Array(c.m).fill(0), [...new Array(c.m - 2).fill(0), -10000, -10000]];
  const mask = c.pad ? tf.tensor(padVals, [B, 1, 1, c.m]) : undefined;
  const sharedK = c.shared ? rand([H, l, p], seed + 3) : undefined;
  const sharedV = c.shared ? rand([H, l, p], seed + 4) : undefined;
  const pqK = c.perQuery ? (rand([B, H, n, p], seed + 5) as tf.Tensor4D) : undefined;
  const pqV = c.pqValues ? (rand([B, H, n, p], seed + 6) as tf.Tensor4D) : undefined;
  const input: KernelAttentionInput = {
    q, k, v,
    ...(c.causal ? { causal: true } : {}),
    ...(mask ? { mask } : {}),
    supports: {
      ...(sharedK ? { shared: { keys: sharedK, values: sharedV! } } : {}),
      ...(pqK
        ? { perQuery: { keys: pqK, mode: c.perQuery!, ...(pqV ? { values: pqV } : {}), ...(c.ignorePad ? { lambdaIgnoresPaddingMask: true } : {}) } }
        : {}),
    },
  };
  return { input, q, k, v, mask, padVals, sharedK, sharedV, pqK, pqV };
}

describe('kernelAttention equals a float64 reference and the explicit estimator', () => {
  for (const c of cases) {
    it(c.name, () => {
      const t = build(c);
      const fast = kernelAttention(t.input);
      const explicit = explicitKernelAttention(t.input);
      expect(maxAbsDiff(fast.output, explicit.output)).toBeLessThan(1e-5);
      if (c.perQuery) expect(maxAbsDiff(fast.lambda!, explicit.lambda!)).toBeLessThan(1e-6);
      if (c.shared) expect(maxAbsDiff(fast.sharedWeight!, explicit.sharedWeight!)).toBeLessThan(1e-6);
      const out = fast.output.arraySync() as number[][][][];
      const lam = fast.lambda?.arraySync() as number[][][] | undefined;
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          const ref = referenceAttention({
            q: slice2(t.q, b, h), k: slice2(t.k, b, h), v: slice2(t.v, b, h),
            causal: !!c.causal,
            ...(c.pad ? { pad: t.padVals[b]! } : {}),
            ...(t.sharedK ? { sharedK: (t.sharedK.arraySync() as Mat[])[h]!, sharedV: (t.sharedV!.arraySync() as Mat[])[h]! } : {}),
            ...(t.pqK ? { pqK: slice2(t.pqK, b, h), mode: c.perQuery! } : {}),
            ...(t.pqV ? { pqV: slice2(t.pqV, b, h) } : {}),
            lambdaIgnoresPad: !!c.ignorePad,
          });
          for (let i = 0; i < n; i++) {
            for (let d = 0; d < p; d++) expect(Math.abs(out[b]![h]![i]![d]! - ref.out[i]![d]!)).toBeLessThan(1e-5);
            if (lam) expect(Math.abs(lam[b]![h]![i]! - ref.lambda[i]!)).toBeLessThan(1e-6);
          }
        }
      }
      tf.dispose([fast, explicit, t] as unknown as tf.Tensor[]);
    });
  }
});

describe('the identities of the paper', () => {
  it('shared supports = plain softmax attention over the concatenated keys and values (He et al. eq. 7)', () => {
    const t = build({ name: '', m: n, shared: true, causal: true });
    const withSupports = kernelAttention(t.input).output;
    // the same as plain attention where the prefix is prepended to K and V and is visible to every query
    const kCat = tf.concat([tf.broadcastTo(tf.expandDims(t.sharedK!, 0), [B, H, l, p]), t.k], 2) as tf.Tensor4D;
    const vCat = tf.concat([tf.broadcastTo(tf.expandDims(t.sharedV!, 0), [B, H, l, p]), t.v], 2) as tf.Tensor4D;
    const s = tf.mul(tf.matMul(t.q, kCat, false, true), 1 / Math.sqrt(p));
    const visible = tf.tensor4d([[
      Array.from({ length: n }, (_, i) => Array.from({ length: l + n }, (_, j) => (j < l || j - l <= i ? 1 : 0))),
    ]]);
    const masked = tf.where(tf.cast(tf.broadcastTo(visible, s.shape), 'bool'), s, tf.fill(s.shape, -1e4));
    const concatenated = tf.matMul(tf.softmax(masked), vCat);
    expect(maxAbsDiff(withSupports, concatenated)).toBeLessThan(1e-6);
  });

  it('a per-query support of value f(Q_i) + m_i gives f(Q_i) + λ_i·m_i (paper eq. 7 = eq. 8), λ in closed form', () => {
    const t = build({ name: '', m: n, causal: true, perQuery: 'residual', pqValues: true });
    // eq. 8: the residual form, through the fast kernel
    const residual = kernelAttention(t.input);
    // eq. 7: the support's value is given absolutely as f(Q_i) + m_i, f computed by plain attention
    const f = kernelAttention({ q: t.q, k: t.k, v: t.v, causal: true }).output;
    const absolute = kernelAttention({
      ...t.input,
      supports: { perQuery: { keys: t.pqK!, values: tf.add(f, t.pqV!) as tf.Tensor4D, mode: 'absolute' } },
    });
    expect(maxAbsDiff(residual.output, absolute.output)).toBeLessThan(1e-5);
    // f + λ·m directly
    const direct = tf.add(f, tf.mul(tf.expandDims(residual.lambda!, 3), t.pqV!));
    expect(maxAbsDiff(residual.output, direct)).toBeLessThan(1e-5);
    // λ = exp(a) / (exp(a) + Σ_j≤i exp(s_ij)), a = ⟨Q, P_k⟩/√p
    const q = t.q.arraySync() as number[][][][];
    const k = t.k.arraySync() as number[][][][];
    const pk = t.pqK!.arraySync() as number[][][][];
    const lam = residual.lambda!.arraySync() as number[][][];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let i = 0; i < n; i++) {
          const dot = (x: number[], y: number[]) => x.reduce((s, v, d) => s + v * y[d]!, 0) / Math.sqrt(p);
          const ea = Math.exp(dot(q[b]![h]![i]!, pk[b]![h]![i]!));
          let z = ea;
          for (let j = 0; j <= i; j++) z += Math.exp(dot(q[b]![h]![i]!, k[b]![h]![j]!));
          expect(Math.abs(lam[b]![h]![i]! - ea / z)).toBeLessThan(1e-6);
        }
  });

  it('the RoBERTa quirk: λ is the same with and without a padding mask, the output is not', () => {
    const c: Case = { name: '', m: n, perQuery: 'residual', pqValues: true, pad: true, ignorePad: true };
    const t = build(c);
    const masked = kernelAttention(t.input);
    const unmasked = kernelAttention({ ...t.input, mask: undefined as unknown as tf.Tensor });
    expect(maxAbsDiff(masked.lambda!, unmasked.lambda!)).toBe(0);
    expect(maxAbsDiff(masked.output, unmasked.output)).toBeGreaterThan(1e-3);
  });
});

describe('hygiene', () => {
  it('leaks no tensor and explicit returns M, D, C of the documented shapes', () => {
    const t = build({ name: '', m: n, causal: true, perQuery: 'residual', pqValues: true, shared: true });
    const before = tf.memory().numTensors;
    const r = explicitKernelAttention(t.input);
    expect(r.kernel.shape).toEqual([B, H, n, n + l + n]);
    expect(r.values.shape).toEqual([B, H, n + l + n, p]);
    expect(r.normaliser.shape).toEqual([B, H, n]);
    // D is the row sum of M
    const rowSums = tf.sum(r.kernel, -1);
    expect(maxAbsDiff(r.normaliser, rowSums)).toBeLessThan(1e-4);
    rowSums.dispose();
    const created = Object.values(r).length;
    expect(tf.memory().numTensors - before).toBe(created);
    tf.dispose(Object.values(r));
    const f = kernelAttention(t.input);
    expect(tf.memory().numTensors - before).toBe(Object.values(f).length);
    tf.dispose(Object.values(f));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains: gradients reach the per-query keys and values and the shared supports; dropout hits probabilities and λ', () => {
    const t = build({ name: '', m: n, causal: true, perQuery: 'residual', pqValues: true, shared: true });
    const pk = tf.variable(t.pqK!);
    const pv = tf.variable(t.pqV!);
    const sk = tf.variable(t.sharedK!);
    let dropCalls = 0;
    const { grads } = tf.variableGrads(() =>
      tf.sum(
        kernelAttention({
          ...t.input,
          supports: { shared: { keys: sk, values: t.sharedV! }, perQuery: { keys: pk as unknown as tf.Tensor4D, values: pv as unknown as tf.Tensor4D, mode: 'residual' } },
          dropout: (x) => (dropCalls++, x),
        }).output,
      ) as tf.Scalar,
    [pk, pv, sk]);
    expect(dropCalls).toBe(2);
    for (const g of Object.values(grads)) expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!)).toBeGreaterThan(1e-4);
    tf.dispose([pk, pv, sk, ...Object.values(grads)]);
  });

  it('explicit refuses dropout', () => {
    const t = build({ name: '', m: n });
    expect(() => explicitKernelAttention({ ...t.input, dropout: (x) => x })).toThrow(/dropout/);
  });
});

describe('logSumExpLast', () => {
  it('equals tfjs logSumExp in value and gradient, and stays finite for large scores', async () => {
    const { logSumExpLast } = await import('@peft/attention-kernel');
    const s = tf.tensor3d([[[1, 2, 3], [-1e4, 0.5, 80]]]);
    const a = logSumExpLast(s);
    const b = tf.logSumExp(s, -1, true);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    const dy = tf.tensor3d([[[0.3], [-2]]]);
    const ga = tf.grad((x: tf.Tensor) => logSumExpLast(x))(s, dy);
    const gb = tf.grad((x: tf.Tensor) => tf.logSumExp(x, -1, true))(s, dy);
    expect(maxAbsDiff(ga, gb)).toBeLessThan(1e-6);
    expect(Number.isFinite(a.dataSync()[1]!)).toBe(true);
    tf.dispose([s, a, b, dy, ga, gb]);
  });
});
