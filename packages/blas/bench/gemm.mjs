// The own GEMM against the system BLAS (OpenBLAS) on the products of a GPT-2-small training step (B 8 × T 128,
// d 768, 12 heads), both in the same addon, switched call by call and interleaved (the order alternating rep by rep).
// Usage: node bench/gemm.mjs [--reps N] [--json]
//
// Two measures of each product:
// - one thread, CPU time (median over the reps): the GEMMs themselves, compared as work per CPU-second, which other
//   processes on a shared machine barely disturb (a preempted call is not charged for the time it waits). The goal
//   (own ≥ 0.85× the system BLAS's GFLOP/s) is judged on this one.
// - the addon's threads, wall time (fastest of the reps): what a training step gets, both GEMMs run through the same
//   split over the OpenMP pool. On a busy machine this one moves by ±20 % from run to run.
import { createRequire } from 'node:module';

const argv = process.argv.slice(2);
const reps = +(argv.includes('--reps') ? argv[argv.indexOf('--reps') + 1] : 11);
const require = createRequire(import.meta.url);
const addon = require('../build/Release/peft_blas.node');
const info = addon.kernelInfo();
const GOAL = 0.85;

// [name, batch, m, n, k, transposeA, transposeB]: C = op(A)·op(B), op(A) m×k, op(B) k×n
const forms = [
  ['x·W    [1024×768]·[768×768]', 1, 1024, 768, 768, false, false],
  ['x·W    [1024×768]·[768×3072]', 1, 1024, 3072, 768, false, false],
  ['x·W    [1024×3072]·[3072×768]', 1, 1024, 768, 3072, false, false],
  ['dy·Wᵀ  [1024×3072]·[768×3072]ᵀ', 1, 1024, 768, 3072, false, true],
  ['xᵀ·dy  [1024×768]ᵀ·[1024×768]', 1, 768, 768, 1024, true, false],
  ['Q·Kᵀ   [96, 128×64]·[96, 128×64]ᵀ', 96, 128, 128, 64, false, true],
  ['P·V    [96, 128×128]·[96, 128×64]', 96, 128, 64, 128, false, false],
  ['Pᵀ·dO  [96, 128×128]ᵀ·[96, 128×64]', 96, 128, 64, 128, true, false],
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
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// the GEMMs: the own one on the CPU's best path, the system BLAS when built in, and (for the record, one-thread CPU
// time only) the own baseline path
const sides = [
  { key: 'own', gemm: 'own', isa: 'auto' },
  ...(info.systemGemm ? [{ key: info.systemGemm, gemm: 'system', isa: 'auto' }] : []),
  { key: 'own baseline', gemm: 'own', isa: 'baseline', cpuOnly: true },
];
addon.selectKernels('own', 'auto');
const ownIsa = addon.kernelInfo().isa;

const rows = [];
for (const [name, batch, m, n, k, ta, tb] of forms) {
  const a = filled(batch * m * k, 1), b = filled(batch * k * n, 2), c = new Float32Array(batch * m * n);
  const run = () => addon.sgemmBatched(a, 0, b, 0, c, 0, batch, m, n, k, ta, tb, m * k, k * n);
  const cpu = Object.fromEntries(sides.map((s) => [s.key, []]));
  const wall = Object.fromEntries(sides.map((s) => [s.key, []]));
  for (const s of sides) {
    addon.selectKernels(s.gemm, s.isa);
    run(); // warm-up: scratch buffers, page faults
  }
  // one thread first, then the addon's threads: after a threaded call OpenMP's worker spins for a while, and the CPU
  // time it burns would be charged to whichever one-thread call came next
  addon.setThreads(1);
  for (let r = 0; r < reps; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      addon.selectKernels(s.gemm, s.isa);
      const c0 = cpuSeconds();
      run();
      cpu[s.key].push(cpuSeconds() - c0);
    }
  }
  addon.setThreads(info.threads);
  const threaded = sides.filter((x) => !x.cpuOnly);
  for (let r = 0; r < reps; r++) {
    for (const s of r % 2 ? [...threaded].reverse() : threaded) {
      addon.selectKernels(s.gemm, s.isa);
      const t0 = process.hrtime.bigint();
      run();
      wall[s.key].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  const flops = 2 * batch * m * n * k;
  const row = { form: name };
  for (const s of sides) row[`${s.key} 1t`] = +(flops / median(cpu[s.key]) / 1e9).toFixed(1);
  if (info.systemGemm) {
    row.ratio = +(row['own 1t'] / row[`${info.systemGemm} 1t`]).toFixed(2);
    row.goal = row.ratio >= GOAL ? 'met' : 'NOT met';
  }
  for (const s of sides.filter((x) => !x.cpuOnly)) row[`${s.key} ${info.threads}t`] = +(flops / Math.min(...wall[s.key]) / 1e9).toFixed(1);
  if (info.systemGemm) row[`ratio ${info.threads}t`] = +(row[`own ${info.threads}t`] / row[`${info.systemGemm} ${info.threads}t`]).toFixed(2);
  rows.push(row);
}
addon.selectKernels(info.gemm === 'own' ? 'own' : 'system', info.isa === 'baseline' ? 'baseline' : 'auto');

const result = { threads: info.threads, own_isa: ownIsa, system: info.systemGemm, goal: GOAL, reps, rows, config: addon.config() };
if (argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`own GEMM (${ownIsa}) vs ${info.systemGemm ?? 'no system BLAS (not built in)'}, GFLOP/s over ${reps} interleaved reps:`);
  console.log(`  1t: one thread, per CPU-second (median) — the goal, own ≥ ${GOAL}× ${info.systemGemm ?? 'the system BLAS'}; ${info.threads}t: the addon's ${info.threads} threads, wall clock (fastest)`);
  console.table(rows);
}
