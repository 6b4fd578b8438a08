// The own GEMM against the system BLAS (OpenBLAS) on the products of a GPT-2-small training step (B 8 × T 128,
// d 768, 12 heads), both run by the same addon through the same threading (its OpenMP pool, products split by rows or
// columns), switched per call and interleaved call by call so that a busy machine slows both alike.
// Usage: node bench/gemm.mjs [--reps N] [--json]
// Prints GFLOP/s (median over the reps) of each and own/OpenBLAS, with the goal (≥ 0.85) met or NOT met per form.
import { createRequire } from 'node:module';

const argv = process.argv.slice(2);
const reps = +(argv.includes('--reps') ? argv[argv.indexOf('--reps') + 1] : 15);
const require = createRequire(import.meta.url);
const addon = require('../build/Release/peft_blas.node');
const info = addon.kernelInfo();
const GOAL = 0.85;

// [name, batch, m, n, k, transposeA, transposeB]: C = op(A)·op(B), op(A) m×k, op(B) k×n
const forms = [
  ['x·W      [1024×768]·[768×768]', 1, 1024, 768, 768, false, false],
  ['x·W      [1024×768]·[768×3072]', 1, 1024, 3072, 768, false, false],
  ['x·W      [1024×3072]·[3072×768]', 1, 1024, 768, 3072, false, false],
  ['dy·Wᵀ    [1024×3072]·[768×3072]ᵀ', 1, 1024, 768, 3072, false, true],
  ['xᵀ·dy    [1024×768]ᵀ·[1024×768]', 1, 768, 768, 1024, true, false],
  ['Q·Kᵀ     [96, 128×64]·[96, 128×64]ᵀ', 96, 128, 128, 64, false, true],
  ['P·V      [96, 128×128]·[96, 128×64]', 96, 128, 64, 128, false, false],
  ['Pᵀ·dO    [96, 128×128]ᵀ·[96, 128×64]', 96, 128, 64, 128, true, false],
];

function filled(n, seed) {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return x;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// the GEMMs to compare: the own one on the CPU's best path, its baseline path, and the system BLAS when built in
const sides = [
  { key: 'own', gemm: 'own', isa: 'auto' },
  ...(info.systemGemm ? [{ key: info.systemGemm, gemm: 'system', isa: 'auto' }] : []),
  { key: 'own baseline', gemm: 'own', isa: 'baseline', every: 3 }, // for the record, measured on every third rep
];
addon.selectKernels('own', 'auto');
const ownIsa = addon.kernelInfo().isa;

const rows = [];
for (const [name, batch, m, n, k, ta, tb] of forms) {
  const a = filled(batch * m * k, 1), b = filled(batch * k * n, 2), c = new Float32Array(batch * m * n);
  const run = () => addon.sgemmBatched(a, 0, b, 0, c, 0, batch, m, n, k, ta, tb, m * k, k * n);
  const times = Object.fromEntries(sides.map((s) => [s.key, []]));
  for (const s of sides) {
    addon.selectKernels(s.gemm, s.isa);
    run(); // warm-up: scratch buffers, page faults
  }
  for (let r = 0; r < reps; r++) {
    // interleaved, the order alternating rep by rep
    const order = r % 2 ? [...sides].reverse() : sides;
    for (const s of order) {
      if (s.every && r % s.every) continue;
      addon.selectKernels(s.gemm, s.isa);
      const t0 = process.hrtime.bigint();
      run();
      times[s.key].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  const flops = 2 * batch * m * n * k;
  const row = { form: name };
  for (const s of sides) row[s.key] = +(flops / median(times[s.key]) / 1e9).toFixed(1);
  if (info.systemGemm) {
    row.ratio = +(row.own / row[info.systemGemm]).toFixed(2);
    row.goal = row.ratio >= GOAL ? 'met' : 'NOT met';
  }
  rows.push(row);
}
addon.selectKernels(info.gemm === 'own' ? 'own' : 'system', info.isa === 'baseline' ? 'baseline' : 'auto');

const result = { threads: info.threads, own_isa: ownIsa, system: info.systemGemm, goal: GOAL, reps, rows, config: addon.config() };
if (argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`own GEMM (${ownIsa}) vs ${info.systemGemm ?? 'no system BLAS (not built in)'}, ${info.threads} threads, median of ${reps} interleaved reps`);
  console.table(rows);
}
