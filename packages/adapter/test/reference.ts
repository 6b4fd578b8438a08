/** An independent float64 bottleneck adapter over plain arrays, for checking the tfjs forward. */

export interface RefWeights {
  down: number[][]; // [d][b]
  downBias: number[]; // [b]
  up: number[][]; // [b][d]
  upBias: number[]; // [d]
  lnBefore?: { w: number[]; b: number[] };
  lnAfter?: { w: number[]; b: number[] };
  scale: number;
}

export function refLayerNorm(row: number[], w: number[], b: number[], eps: number): number[] {
  const mean = row.reduce((a, x) => a + x, 0) / row.length;
  const variance = row.reduce((a, x) => a + (x - mean) ** 2, 0) / row.length;
  return row.map((x, i) => ((x - mean) / Math.sqrt(variance + eps)) * w[i]! + b[i]!);
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is only 1e-7; use a series / continued fraction good to ~1e-15 instead.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 200; n++) {
      term *= (-t * t) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - Math.exp(-t * t) / (t * Math.sqrt(Math.PI)) * (1 - 1 / (2 * t * t) + 3 / (4 * t ** 4)));
}

export function refActivation(x: number, a: 'relu' | 'tanh' | 'gelu'): number {
  if (a === 'relu') return Math.max(0, x);
  if (a === 'tanh') return Math.tanh(x);
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** rows: [N][d] tokens. */
export function refAdapter(
  rows: number[][],
  w: RefWeights,
  o: { activation: 'relu' | 'tanh' | 'gelu'; residual: boolean; eps: number },
): number[][] {
  return rows.map((x) => {
    const z = w.lnBefore ? refLayerNorm(x, w.lnBefore.w, w.lnBefore.b, o.eps) : x;
    const hidden = w.downBias.map((bias, j) => refActivation(z.reduce((a, zi, i) => a + zi * w.down[i]![j]!, bias), o.activation));
    const up = w.upBias.map((bias, k) => hidden.reduce((a, hj, j) => a + hj * w.up[j]![k]!, bias) * w.scale);
    const out = o.residual ? up.map((u, k) => u + x[k]!) : up;
    return w.lnAfter ? refLayerNorm(out, w.lnAfter.w, w.lnAfter.b, o.eps) : out;
  });
}

/** Deterministic pseudo-random numbers in (−1, 1) (a sine hash; no RNG state). */
export function pseudoRandom(count: number, salt: number, amplitude = 1): number[] {
  return Array.from({ length: count }, (_, i) => {
    const s = Math.sin(12.9898 * (i + 1) + 78.233 * salt) * 43758.5453;
    return amplitude * 2 * (s - Math.floor(s) - 0.5);
  });
}

export function chunk(flat: ArrayLike<number>, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += cols) out.push(Array.from(flat).slice(i, i + cols));
  return out;
}
