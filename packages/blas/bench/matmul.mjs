// Matmul throughput (GFLOP/s) of tfjs's backends with and without @peft/blas, side by side in one process.
// Usage: node bench/matmul.mjs [--json]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { blasAvailability, registerBlasKernels, unregisterBlasKernels } from '@peft/blas';

const forms = [
  { name: 'x·W  [1024×768]·[768×768]', a: [1024, 768], b: [768, 768], ta: false, tb: false },
  { name: 'dy·Wᵀ [1024×3072]·[768×3072]ᵀ', a: [1024, 3072], b: [768, 3072], ta: false, tb: true },
  { name: 'xᵀ·dy [1024×768]ᵀ·[1024×768]', a: [1024, 768], b: [1024, 768], ta: true, tb: false },
  { name: 'QKᵀ [96×128×64]·[96×128×64]ᵀ', a: [96, 128, 64], b: [96, 128, 64], ta: false, tb: true },
];

async function time(fn, reps) {
  fn(); // warm-up (XNNPACK packs B on first use)
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((x, y) => x - y);
  return ts[Math.floor(ts.length / 2)];
}

const rows = [];
for (const f of forms) {
  const flops = 2 * f.a.slice(0, -2).reduce((x, y) => x * y, 1) * (f.ta ? f.a.at(-1) : f.a.at(-2)) * (f.ta ? f.a.at(-2) : f.a.at(-1)) * (f.tb ? f.b.at(-2) : f.b.at(-1));
  const row = { form: f.name };
  for (const setting of ['cpu', 'wasm', 'wasm+blas']) {
    const backend = setting.startsWith('wasm') ? 'wasm' : 'cpu';
    await tf.setBackend(backend);
    if (setting === 'wasm+blas') registerBlasKernels({ backends: ['wasm'] });
    const a = tf.randomNormal(f.a), b = tf.randomNormal(f.b);
    const reps = setting === 'cpu' ? 1 : 5;
    if (setting === 'cpu' && flops > 3e9) { row[setting] = '-'; tf.dispose([a, b]); continue; }
    const ms = await time(() => { const y = tf.matMul(a, b, f.ta, f.tb); y.dataSync(); y.dispose(); }, reps);
    row[setting] = +(flops / ms / 1e6).toFixed(1);
    if (setting === 'wasm+blas') unregisterBlasKernels();
    tf.dispose([a, b]);
  }
  row['blas/wasm'] = typeof row['wasm'] === 'number' ? +(row['wasm+blas'] / row['wasm']).toFixed(2) : '-';
  rows.push(row);
}
if (process.argv.includes('--json')) console.log(JSON.stringify({ blas: blasAvailability(), rows }));
else {
  console.log(`@peft/blas: ${JSON.stringify(blasAvailability())}`);
  console.table(rows);
}
