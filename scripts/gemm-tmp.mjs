import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
await selectBackend({ only: ['cpu'] });
registerBlasKernels({ backends: ['cpu'], threads: +(args.threads ?? 2) });
const forms = [
  { form: 'x·W', a: [1024, 768], b: [768, 3072], ta: false, tb: false },
  { form: 'dy·Wᵀ', a: [1024, 3072], b: [768, 3072], ta: false, tb: true },
  { form: 'x·Wqkv', a: [1024, 768], b: [768, 2304], ta: false, tb: false },
  { form: 'h·Eᵀ', a: [333, 768], b: [50257, 768], ta: false, tb: true },
  { form: 'dz·E', a: [333, 50257], b: [50257, 768], ta: false, tb: false },
];
const flopsOf = (f) => 2 * (f.ta ? f.a[1] : f.a[0]) * (f.tb ? f.b[0] : f.b[1]) * (f.ta ? f.a[0] : f.a[1]);
for (const f of forms) {
  const a = tf.randomNormal(f.a), b = tf.randomNormal(f.b);
  const run = () => { const y = tf.matMul(a, b, f.ta, f.tb); y.dataSync(); y.dispose(); };
  run();
  const ts = [];
  for (let i = 0; i < +(args.reps ?? 7); i++) { const t0 = performance.now(); run(); ts.push(performance.now() - t0); }
  ts.sort((x, y) => x - y);
  console.log(f.form, (flopsOf(f) / ts[ts.length >> 1] / 1e6).toFixed(1), 'GFLOP/s wall');
  tf.dispose([a, b]);
}
