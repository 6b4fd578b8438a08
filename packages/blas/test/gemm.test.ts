import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { ConfigError, Rng } from '@peft/core';
import { blasAvailability, fmaThroughput, registerBlasKernels, unregisterBlasKernels, type IsaChoice } from '@peft/blas';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { choiceFromEnv } from '../src/addon.js';
import { describeWithAddon } from './addon-gate.js';

// The GEMMs of @peft/blas (its own on each vector path, and the system BLAS where built in) through tfjs's
// BatchMatMul on both backends, against a float64 reference:
// - small integers as inputs: every product and partial sum is exact in float32, so the result must equal the
//   reference exactly whatever the blocking and summation order (any wrong index, edge or block shows);
// - normal values: within the float32 bound |C − C₆₄| ≤ k·u·Σ_p |a_ip·b_pj| (u = 2⁻²⁴), for any summation order.

type Case = { a: number[]; b: number[]; ta: boolean; tb: boolean; why: string };

const odd = [1, 7, 17, 63, 65, 127, 129];
const ks = [1, 17, 65, 129, 7, 63, 127];
const cases: Case[] = [];
const shapeOf = (batch: number[], rows: number, cols: number, t: boolean) => [...batch, t ? cols : rows, t ? rows : cols];
for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
  // every pair of odd sizes for m and n, k cycling through odd sizes and 1 (below the threading threshold)
  odd.forEach((m, i) => odd.forEach((n, j) => {
    const k = ks[(i + 2 * j) % ks.length]!;
    cases.push({ a: shapeOf([], m, k, ta), b: shapeOf([], k, n, tb), ta, tb, why: `${m}×${k}·${k}×${n}` });
  }));
  // above the 4 Mi multiply-add threading threshold: split by rows (m ≥ n) or columns; several k and m blocks;
  // n past the AVX2 path's NC = 3072 (m = 1); packed and in-place operands
  for (const [m, n, k] of [[600, 530, 300], [300, 610, 257], [1030, 9, 520], [1, 3100, 257], [130, 700, 1]] as const) {
    cases.push({ a: shapeOf([], m, k, ta), b: shapeOf([], k, n, tb), ta, tb, why: `${m}×${k}·${k}×${n}` });
  }
  // batched as BatchMatMul sends it: both operands batched, one broadcast whole (stride 0), 4-D, and GPT-2's attention
  // products (96 items of 128×64 by 64×128: above the threshold, one item per thread)
  cases.push({ a: shapeOf([3], 17, 65, ta), b: shapeOf([3], 65, 63, tb), ta, tb, why: 'batch 3' });
  cases.push({ a: shapeOf([], 17, 65, ta), b: shapeOf([4], 65, 63, tb), ta, tb, why: 'a broadcast over 4' });
  cases.push({ a: shapeOf([4], 129, 7, ta), b: shapeOf([], 7, 65, tb), ta, tb, why: 'b broadcast over 4' });
  cases.push({ a: shapeOf([2, 3], 127, 63, ta), b: shapeOf([2, 3], 63, 1, tb), ta, tb, why: '[2, 3] batch' });
  cases.push({ a: shapeOf([96], 128, 64, ta), b: shapeOf([96], 64, 128, tb), ta, tb, why: 'attention [96, 128×64]·[96, 64×128]' });
}

const size = (s: number[]) => s.reduce((x, y) => x * y, 1);

function values(n: number, seed: number, integers: boolean): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (integers ? Math.floor(rng.uniform() * 7) - 3 : rng.normal()));
}

/** C = op(A)·op(B) in float64, with Σ|a·b| per entry, broadcasting a batch of one as BatchMatMul does. */
function reference(c: Case, a: Float32Array, b: Float32Array): { c: Float64Array; abs: Float64Array; shape: number[] } {
  const [ra, rb] = [c.a.length, c.b.length];
  const m = c.ta ? c.a[ra - 1]! : c.a[ra - 2]!;
  const k = c.ta ? c.a[ra - 2]! : c.a[ra - 1]!;
  const n = c.tb ? c.b[rb - 2]! : c.b[rb - 1]!;
  const batchA = size(c.a.slice(0, -2));
  const batchB = size(c.b.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const outer = batchA >= batchB ? c.a.slice(0, -2) : c.b.slice(0, -2);
  const out = new Float64Array(batch * m * n);
  const abs = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = batchA === 1 ? 0 : t * m * k;
    const bo = batchB === 1 ? 0 : t * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let sa = 0;
        for (let p = 0; p < k; p++) {
          const x = a[ao + (c.ta ? p * m + i : i * k + p)]! * b[bo + (c.tb ? j * k + p : p * n + j)]!;
          s += x;
          sa += Math.abs(x);
        }
        out[(t * m + i) * n + j] = s;
        abs[(t * m + i) * n + j] = sa;
      }
    }
  }
  return { c: out, abs, shape: [...outer, m, n] };
}

// the inputs and references, once for every GEMM and backend
const prepared = cases.map((c, i) => {
  const integers = i % 5 !== 4; // every fifth case with normal values
  const a = values(size(c.a), 2 * i + 1, integers);
  const b = values(size(c.b), 2 * i + 2, integers);
  return { ...c, integers, av: a, bv: b, ref: reference(c, a, b) };
});

/** The GEMMs this build has: the own one on every vector path this CPU runs (AVX-512, AVX2, NEON, baseline), and the system BLAS if built in. */
function gemms(): { label: string; gemm: 'own' | 'system'; isa: IsaChoice }[] {
  const s = blasAvailability();
  if (!s.available) return [];
  return [
    ...s.isas!.map((isa) => ({ label: `own, ${isa}`, gemm: 'own' as const, isa })),
    ...(s.systemGemm ? [{ label: s.systemGemm, gemm: 'system' as const, isa: 'auto' as const }] : []),
  ];
}

describeWithAddon('@peft/blas GEMMs against float64, every transpose form, odd sizes, batched', () => {
  afterAll(async () => {
    unregisterBlasKernels();
    await tf.setBackend('cpu');
  });
  for (const g of gemms()) {
    for (const backend of ['cpu', 'wasm'] as const) {
      it(`${g.label} on ${backend}: exact on integers, within k·u·Σ|a·b| on normal values (${cases.length} products)`, async () => {
        await tf.setBackend(backend);
        const status = registerBlasKernels({ backends: [backend], gemm: g.gemm, isa: g.isa });
        try {
          expect(status.gemm === 'own' ? 'own' : 'system').toBe(g.gemm);
          if (g.gemm === 'own') expect(status.isa).toBe(g.isa);
          for (const c of prepared) {
            const got = tf.tidy(() => tf.matMul(tf.tensor(c.av, c.a), tf.tensor(c.bv, c.b), c.ta, c.tb));
            expect(got.shape, c.why).toEqual(c.ref.shape);
            const v = got.dataSync();
            got.dispose();
            const k = c.ta ? c.a[c.a.length - 2]! : c.a[c.a.length - 1]!;
            let worst = 0;
            for (let i = 0; i < v.length; i++) {
              const err = Math.abs(v[i]! - c.ref.c[i]!);
              worst = Math.max(worst, c.integers ? err : err - k * 2 ** -24 * c.ref.abs[i]!);
            }
            expect(worst, `${c.why}${c.ta ? ' Aᵀ' : ''}${c.tb ? ' Bᵀ' : ''}, ${c.integers ? 'integers (exact)' : 'normal values'}`).toBeLessThanOrEqual(0);
          }
        } finally {
          unregisterBlasKernels();
        }
      });
    }
  }

  it('registerBlasKernels({ gemm, isa }) switches the GEMM, says so, and unregistering returns to the choice at load', () => {
    const atLoad = blasAvailability();
    const own = registerBlasKernels({ backends: [], gemm: 'own', isa: 'baseline' });
    expect(own.gemm).toBe('own');
    expect(own.isa).toBe('baseline');
    expect(own.config).toMatch(/^GEMM: own blocked GEMM, baseline 6x8 micro-kernel/);
    if (own.systemGemm) {
      const sys = registerBlasKernels({ backends: [], gemm: 'system' });
      expect(sys.gemm).toBe(own.systemGemm);
      expect(sys.config).toContain('single-threaded inside');
    } else {
      expect(() => registerBlasKernels({ backends: [], gemm: 'system' })).toThrow(ConfigError);
    }
    unregisterBlasKernels();
    expect(blasAvailability()).toEqual(atLoad);
  });

  it('runs each vector path the CPU has when asked by name, says which, and a path it lacks is a ConfigError naming those it has', () => {
    const s = blasAvailability();
    const about = { avx512: /AVX-512 12x32/, avx2: /AVX2\+FMA 6x16/, neon: /NEON 8x12/, baseline: /baseline 6x8/ };
    expect(s.isas!.at(-1)).toBe('baseline');
    // the CPU's own word: where /proc/cpuinfo lists avx512f (and avx2, fma), the AVX-512 path is among them
    const flags = existsSync('/proc/cpuinfo') ? (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').split(/\s+/) : [];
    if (process.arch === 'x64' && ['avx512f', 'avx2', 'fma'].every((f) => flags.includes(f))) expect(s.isas).toContain('avx512');
    if (process.arch === 'x64' && !flags.includes('avx512f')) expect(s.isas).not.toContain('avx512');
    for (const isa of s.isas!) {
      const r = registerBlasKernels({ backends: [], gemm: 'own', isa });
      expect(r.isa).toBe(isa);
      expect(r.config).toMatch(about[isa]);
    }
    const missing = (['avx512', 'avx2', 'neon'] as const).find((i) => !s.isas!.includes(i))!;
    expect(() => registerBlasKernels({ backends: [], gemm: 'own', isa: missing })).toThrow(new RegExp(`no ${missing} path \\(it has: ${s.isas!.join(', ')}\\)`));
    unregisterBlasKernels();
  });

  it('measures a positive FMA ceiling for every path the CPU has, and only those', () => {
    const peaks = fmaThroughput(0.05);
    expect(peaks.map((p) => p.isa)).toEqual(blasAvailability().isas);
    for (const p of peaks) expect(p.gflopsPerCore).toBeGreaterThan(0);
  });

  it('runs the GEMM PEFT_BLAS_GEMM asks for (the CI build forced to the own GEMM checks this)', () => {
    const s = blasAvailability();
    if (process.env.PEFT_BLAS_GEMM === 'own') expect(s.gemm).toBe('own');
    else if (s.systemGemm && ['system', 'openblas', 'accelerate'].includes(process.env.PEFT_BLAS_GEMM ?? '')) expect(s.gemm).toBe(s.systemGemm);
    // by default the own GEMM where it runs AVX-512, else the system BLAS where built in
    else if (s.systemGemm && s.isa !== 'avx512') expect(s.gemm).toBe(s.systemGemm);
    else expect(s.gemm).toBe('own');
  });
});

describe('PEFT_BLAS_GEMM and PEFT_BLAS_ISA at load', () => {
  it('choose the GEMM and vector path; unknown values and a missing system BLAS are ConfigErrors', () => {
    expect(choiceFromEnv({}, 'openblas')).toEqual({ gemm: 'system', isa: 'auto' });
    expect(choiceFromEnv({}, null)).toEqual({ gemm: 'own', isa: 'auto' });
    // the own GEMM by default where its best path is AVX-512 (not when that path is forced off)
    expect(choiceFromEnv({}, 'openblas', 'avx512')).toEqual({ gemm: 'own', isa: 'auto' });
    expect(choiceFromEnv({}, 'openblas', 'avx2')).toEqual({ gemm: 'system', isa: 'auto' });
    expect(choiceFromEnv({ PEFT_BLAS_ISA: 'avx2' }, 'openblas', 'avx512')).toEqual({ gemm: 'system', isa: 'avx2' });
    expect(choiceFromEnv({ PEFT_BLAS_GEMM: 'openblas' }, 'openblas', 'avx512')).toEqual({ gemm: 'system', isa: 'auto' });
    expect(choiceFromEnv({ PEFT_BLAS_GEMM: 'own' }, 'openblas')).toEqual({ gemm: 'own', isa: 'auto' });
    expect(choiceFromEnv({ PEFT_BLAS_GEMM: 'OpenBLAS', PEFT_BLAS_ISA: 'baseline' }, 'openblas')).toEqual({ gemm: 'system', isa: 'baseline' });
    expect(() => choiceFromEnv({ PEFT_BLAS_GEMM: 'system' }, null)).toThrow(/own GEMM only/);
    expect(() => choiceFromEnv({ PEFT_BLAS_GEMM: 'accelerate' }, 'openblas')).toThrow(ConfigError);
    expect(() => choiceFromEnv({ PEFT_BLAS_GEMM: 'mkl' }, 'openblas')).toThrow(/PEFT_BLAS_GEMM/);
    expect(choiceFromEnv({ PEFT_BLAS_ISA: 'AVX512' }, null)).toEqual({ gemm: 'own', isa: 'avx512' });
    expect(choiceFromEnv({ PEFT_BLAS_ISA: 'avx2' }, null)).toEqual({ gemm: 'own', isa: 'avx2' });
    expect(() => choiceFromEnv({ PEFT_BLAS_ISA: 'sse4' }, null)).toThrow(/PEFT_BLAS_ISA.*auto, avx512, avx2, neon, baseline/);
  });
});
