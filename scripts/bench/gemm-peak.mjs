// The machine's measured GEMM peak as a training step sees it: GFLOP/s of @peft/blas's BatchMatMul on the cpu backend
// (all threads) on the largest products of a GPT-2 step, each form timed several times; the peak is the best median.
// The FLOP floor of a step is its matmul FLOPs divided by this peak.
// Usage: node scripts/bench/gemm-peak.mjs [d=768] [reps=5]. Prints one JSON line { peak_gflops, forms: [...], config }.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';

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
const rows = [];
for (const f of forms) {
  const a = tf.randomNormal(f.a), b = tf.randomNormal(f.b);
  const m = f.ta ? f.a[1] : f.a[0], k = f.ta ? f.a[0] : f.a[1], n = f.tb ? f.b[0] : f.b[1];
  const run = () => { const y = tf.matMul(a, b, f.ta, f.tb); y.dataSync(); y.dispose(); };
  run();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    ts.push(performance.now() - t0);
  }
  ts.sort((x, y) => x - y);
  rows.push({ form: f.form, gflops: +((2 * m * n * k) / ts[Math.floor(reps / 2)] / 1e6).toFixed(1) });
  tf.dispose([a, b]);
}
console.log(JSON.stringify({ peak_gflops: Math.max(...rows.map((r) => r.gflops)), forms: rows, config: status.config }));
