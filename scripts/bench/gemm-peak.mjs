// The machine's GEMM peak, three ways, in one run:
// - as a training step sees it: GFLOP/s of @peft/blas's BatchMatMul on the cpu backend (all threads, wall clock) on the
//   largest products of a GPT-2 step, each form timed several times; `peak_gflops` is the best median;
// - per vector path of the own GEMM (AVX-512, AVX2, NEON, baseline: every path this CPU has): the same products on one
//   thread, GFLOP/s per CPU-second (median), the paths interleaved rep by rep so that load on a shared machine falls
//   on all alike; `paths`, and the ratio of each path to the next narrower one side by side;
// - the real peak: a register-only FMA loop per path (@peft/blas's fmaThroughput), one thread per CPU-second;
//   `true_peak_gflops` is the best path's figure times the addon's threads (one per core). The bench's FLOP floor is
//   a step's matmul FLOPs divided by this one (the GEMM's own peak beside it, for the record).
// Usage: node scripts/bench/gemm-peak.mjs [d=768] [reps=5] [paths=0]. Prints one JSON line
// { peak_gflops, forms, true_peak_gflops, fma: [{ isa, gflops_per_core }], threads, paths: [{ isa, forms }], config }.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@peft/core';
import { fmaThroughput, registerBlasKernels } from '@peft/blas';
import { middleValue } from './medians.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const d = +(args.d ?? 768), reps = +(args.reps ?? 5), N = 1024, V = 50257;
await selectBackend({ only: ['cpu'] });
const status = registerBlasKernels({ backends: ['cpu'] });
if (!status.available) {
  console.log(JSON.stringify({ error: status.reason }));
  process.exit(1);
}
const forms = [
  { form: `x·W [${N}×${d}]·[${d}×${4 * d}]`, a: [N, d], b: [d, 4 * d], ta: false, tb: false },
  { form: `dy·Wᵀ [${N}×${4 * d}]·[${d}×${4 * d}]ᵀ`, a: [N, 4 * d], b: [d, 4 * d], ta: false, tb: true },
  { form: `xᵀ·dy [${N}×${d}]ᵀ·[${N}×${d}]`, a: [N, d], b: [N, d], ta: true, tb: false },
  { form: `head h·Eᵀ [128×${d}]·[${V}×${d}]ᵀ`, a: [128, d], b: [V, d], ta: false, tb: true },
  { form: `head dz·E [128×${V}]·[${V}×${d}]`, a: [128, V], b: [V, d], ta: false, tb: false },
];
const flopsOf = (f) => 2 * (f.ta ? f.a[1] : f.a[0]) * (f.tb ? f.b[0] : f.b[1]) * (f.ta ? f.a[0] : f.a[1]);
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const threads = +(status.config?.match(/threads=(\d+)/)?.[1] ?? 1);

// 1. as the step sees it: the GEMM at load, all threads, wall clock
const rows = [];
for (const f of forms) {
  const a = tf.randomNormal(f.a), b = tf.randomNormal(f.b);
  const run = () => { const y = tf.matMul(a, b, f.ta, f.tb); y.dataSync(); y.dispose(); };
  run();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    ts.push(performance.now() - t0);
  }
  rows.push({ form: f.form, gflops: +(flopsOf(f) / middleValue(ts) / 1e6).toFixed(1) });
  tf.dispose([a, b]);
}

// 2. each path of the own GEMM on one thread, per CPU-second, interleaved
const isas = status.isas ?? [];
const paths = isas.map((isa) => ({ isa, forms: [] }));
if (args.paths !== '0') {
  for (const f of forms) {
    const a = tf.randomNormal(f.a), b = tf.randomNormal(f.b);
    const run = () => { const y = tf.matMul(a, b, f.ta, f.tb); y.dataSync(); y.dispose(); };
    const cpu = isas.map(() => []);
    for (let r = 0; r < reps + 1; r++) {
      const order = r % 2 ? [...isas.keys()].reverse() : [...isas.keys()];
      for (const i of order) {
        registerBlasKernels({ backends: [], gemm: 'own', isa: isas[i], threads: 1 }); // the cpu kernels stay registered
        const c0 = cpuSeconds();
        run();
        if (r > 0) cpu[i].push(cpuSeconds() - c0); // the first round warms each path's scratch up
      }
    }
    isas.forEach((_, i) => paths[i].forms.push({ form: f.form, gflops: +(flopsOf(f) / middleValue(cpu[i]) / 1e9).toFixed(1) }));
    tf.dispose([a, b]);
  }
  registerBlasKernels({ backends: [], gemm: status.gemm === 'own' ? 'own' : 'system', isa: 'auto', threads });
}

// 3. the real peak per path
const fma = fmaThroughput(0.3).map((p) => ({ isa: p.isa, gflops_per_core: +p.gflopsPerCore.toFixed(1) }));
const best = Math.max(0, ...fma.map((p) => p.gflops_per_core));
console.log(JSON.stringify({
  peak_gflops: Math.max(...rows.map((r) => r.gflops)),
  forms: rows,
  true_peak_gflops: +(best * threads).toFixed(1),
  fma,
  threads,
  paths,
  config: status.config,
}));
