/**
 * An independent float64 reference of KA's GPT2Attention with inducer (spec §1.1 and §2), written in plain JS from
 * the spec's wording: a joint softmax over [a_i, S_i] for λ, a separate softmax for attention (or the joint one's tail
 * under gating), per-head loops, no tfjs. It shares nothing with the implementation under test.
 */
import { sin } from './blocks.js';

export interface RefVariant {
  readonly keyRank: number; // 0 adaptive, 1 P_k = Q, ≥ 2 MLP_k (golden: 2)
  readonly valueRank: number; // golden: 3
  readonly extension: boolean;
  readonly gating: boolean;
  readonly lora: boolean;
}

type Mat = number[][];
const mat = (flat: ArrayLike<number>, rows: number, cols: number): Mat =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => flat[i * cols + j]!));
const mm = (a: Mat, b: Mat): Mat => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const addRow = (a: Mat, b: ArrayLike<number>): Mat => a.map((row) => row.map((v, j) => v + b[j]!));
const T = (a: Mat): Mat => a[0]!.map((_, j) => a.map((row) => row[j]!));
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

export function referenceGpt2(v: RefVariant): { output: number[][]; lambda: number[][] } {
  const n = 4, d = 8, H = 2, p = 4;
  const X = mat(sin(0, 1, [4, 8]), n, d);
  const qkv = addRow(mm(X, mat(sin(1, 0.5, [8, 24]), 8, 24)), sin(2, 0.1, [24]));
  let q = qkv.map((r) => r.slice(0, 8));
  const k = qkv.map((r) => r.slice(8, 16));
  const val = qkv.map((r) => r.slice(16, 24));
  if (v.lora) {
    const s = 32 / 2; // α / r, α > 1.5
    const A = mat(sin(5, 0.05, [2, 8]), 2, 8);
    const B = mat(sin(6, 0.05, [8, 2]), 8, 2);
    const b = sin(7, 0.02, [8]);
    const delta = mm(mm(X, T(A)).map((r) => r.map((x) => x * s)), T(B)).map((r) => r.map((x, j) => x + b[j]! * s));
    q = q.map((r, i) => r.map((x, j) => x + delta[i]![j]!));
  }
  const rk = v.keyRank, rv = v.valueRank;
  const Ak = sin(8, 0.5, [H, p, rk]), b1k = sin(9, 0.2, [H, 1, rk]), Bk = sin(10, 0.5, [H, rk, p]), b2k = sin(11, 0.2, [H, 1, p]);
  const W1 = sin(12, 0.5, [H, p, rv]), b1 = sin(13, 0.2, [H, 1, rv]);
  const W2 = v.extension ? sin(14, 0.5, [H, rv, d]) : sin(14, 0.5, [H, rv, p]);
  const b2 = v.extension ? sin(15, 0.2, [d]) : sin(15, 0.2, [H, 1, p]);

  const lambda: number[][] = [];
  const heads: Mat[] = [];
  const hidden: Mat[] = []; // tanh(Q W1 + b1), per head [n, rv]
  for (let h = 0; h < H; h++) {
    const Q = q.map((r) => r.slice(h * p, h * p + p));
    const K = k.map((r) => r.slice(h * p, h * p + p));
    const V = val.map((r) => r.slice(h * p, h * p + p));
    const lam: number[] = [];
    const O: Mat = [];
    const hid: Mat = Q.map((qi) => Array.from({ length: rv }, (_, c) => Math.tanh(qi.reduce((s, x, e) => s + x * W1[(h * p + e) * rv + c]!, 0) + b1[h * rv + c]!)));
    hidden.push(hid);
    for (let i = 0; i < n; i++) {
      const qi = Q[i]!;
      let pk = qi;
      if (rk >= 2) {
        const t = Array.from({ length: rk }, (_, c) => Math.tanh(qi.reduce((s, x, e) => s + x * Ak[(h * p + e) * rk + c]!, 0) + b1k[h * rk + c]!));
        pk = qi.map((x, e) => x + t.reduce((s, tc, c) => s + tc * Bk[(h * rk + c) * p + e]!, 0) + b2k[h * p + e]!);
      }
      let a = dot(qi, pk) / Math.sqrt(p);
      if (rk === 0) a = (dot(qi, qi) * Math.sqrt(i + 1)) / Math.sqrt(p);
      const S = K.map((kj, j) => (j <= i ? dot(qi, kj) / Math.sqrt(p) : -1e4));
      // joint softmax over [a, S_0..S_{n-1}]
      const m = Math.max(a, ...S);
      const ea = Math.exp(a - m);
      const eS = S.map((x) => Math.exp(x - m));
      const zJoint = ea + eS.reduce((s, x) => s + x, 0);
      const l = ea / zJoint;
      lam.push(l);
      const zS = eS.reduce((s, x) => s + x, 0);
      const att = v.gating ? eS.map((x) => x / zJoint) : eS.map((x) => x / zS);
      let o = Array.from({ length: p }, (_, e) => att.reduce((s, w, j) => s + w * V[j]![e]!, 0));
      if (!v.extension) {
        const mv = Array.from({ length: p }, (_, e) => hid[i]!.reduce((s, x, c) => s + x * W2[(h * rv + c) * p + e]!, 0) + b2[h * p + e]!);
        o = o.map((x, e) => x + l * mv[e]!);
      }
      O.push(o);
    }
    lambda.push(lam);
    heads.push(O);
  }
  const merged = Array.from({ length: n }, (_, i) => heads.flatMap((O) => O[i]!));
  let Y = addRow(mm(merged, mat(sin(3, 0.3, [8, 8]), 8, 8)), sin(4, 0.1, [8]));
  if (v.extension) {
    Y = Y.map((row, i) =>
      row.map((y, j) => {
        let e = b2[j]!; // b2 is not λ-weighted
        for (let h = 0; h < H; h++) for (let c = 0; c < rv; c++) e += lambda[h]![i]! * hidden[h]![i]![c]! * W2[(h * rv + c) * d + j]!;
        return y + e;
      }),
    );
  }
  return { output: Y, lambda };
}
