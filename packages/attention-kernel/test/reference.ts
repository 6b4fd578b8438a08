/**
 * A plain float64 JavaScript reference of kernel attention with supports, written from the equations and sharing no
 * code with the package: softmax over [a_i, shared scores, masked scores] per query row.
 */
export type Mat = number[][]; // [rows][cols]

export interface RefInput {
  q: Mat; // [n][p] one head, one batch row
  k: Mat; // [m][p]
  v: Mat; // [m][p]
  causal?: boolean;
  pad?: number[]; // [m] additive
  sharedK?: Mat; // [l][p]
  sharedV?: Mat;
  pqK?: Mat; // [n][p]
  pqV?: Mat; // [n][p]
  mode?: 'residual' | 'absolute';
  lambdaIgnoresPad?: boolean;
}

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

export function referenceAttention(r: RefInput): { out: Mat; lambda: number[]; sharedWeight: number[] } {
  const n = r.q.length;
  const m = r.k.length;
  const p = r.q[0]!.length;
  const scale = 1 / Math.sqrt(p);
  const out: Mat = [];
  const lambda: number[] = [];
  const sharedWeight: number[] = [];
  for (let i = 0; i < n; i++) {
    const qi = r.q[i]!;
    const sc: number[] = []; // ordinary logits: shared then keys
    const scNoPad: number[] = [];
    const vals: number[][] = [];
    for (const [j, kj] of (r.sharedK ?? []).entries()) {
      sc.push(dot(qi, kj) * scale);
      scNoPad.push(dot(qi, kj) * scale);
      vals.push(r.sharedV![j]!);
    }
    for (let j = 0; j < m; j++) {
      let s = dot(qi, r.k[j]!) * scale;
      if (r.causal && j > m - n + i) s = -1e4;
      scNoPad.push(s);
      sc.push(s + (r.pad ? r.pad[j]! : 0));
      vals.push(r.v[j]!);
    }
    const mx = Math.max(...sc);
    const e = sc.map((s) => Math.exp(s - mx));
    const z = e.reduce((a, b) => a + b, 0);
    const f = new Array(p).fill(0);
    e.forEach((w, j) => vals[j]!.forEach((x, d) => (f[d] += (w / z) * x)));
    const l = r.sharedK?.length ?? 0;
    sharedWeight.push(e.slice(0, l).reduce((a, b) => a + b, 0) / z);
    if (!r.pqK) {
      out.push(f);
      lambda.push(0);
      continue;
    }
    const a = dot(qi, r.pqK[i]!) * scale;
    const lamScores = r.lambdaIgnoresPad ? scNoPad : sc;
    const all = [a, ...lamScores];
    const mx2 = Math.max(...all);
    const z2 = all.reduce((acc, s) => acc + Math.exp(s - mx2), 0);
    const lam = Math.exp(a - mx2) / z2;
    lambda.push(lam);
    const val = r.pqV?.[i] ?? new Array(p).fill(0);
    out.push(r.mode === 'absolute' ? f.map((x, d) => (1 - lam) * x + lam * val[d]!) : f.map((x, d) => x + lam * val[d]!));
  }
  return { out, lambda, sharedWeight };
}
