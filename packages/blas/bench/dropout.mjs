// The native dropout masks (src/native/random.c): the lanes on each vector path this CPU has against the loop before
// them (dropoutMaskScalar: each thread's run one value at a time in doubles), side by side, on one and two threads,
// over a SmolLM2 LoRA site's mask [2048×576] and GPT-2 small's FFN activation [1024×3072]. Wall milliseconds per call,
// median of 7 interleaved rounds of 5 calls (the machine may be shared: the figures are noisy). Every call's mask is
// also checked equal to the old loop's, bit for bit.
// Usage: node bench/dropout.mjs [--json]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = require('../build/Release/peft_blas.node');
const info = addon.kernelInfo();
const shapes = [[2048, 576], [1024, 3072]];
const keep = Math.fround(0.9), inv = Math.fround(1 / 0.9);
const paths = ['old', ...info.isas];
const times = {};
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const [rows, cols] of shapes) {
  const n = rows * cols, want = new Float32Array(n), got = new Float32Array(n);
  addon.setThreads(1);
  addon.dropoutMaskScalar('1234', keep, inv, want, 0, n);
  for (let r = 0; r < 7; r++) {
    for (const threads of [1, 2]) {
      addon.setThreads(threads);
      for (const path of r % 2 ? [...paths].reverse() : paths) {
        if (path !== 'old') addon.selectKernels('own', path);
        const draw = path === 'old' ? addon.dropoutMaskScalar : addon.dropoutMask;
        const t0 = performance.now();
        for (let q = 0; q < 5; q++) draw("1234", keep, inv, got, 0, n);
        (times[`${rows}×${cols} ${threads} ${path}`] ??= []).push((performance.now() - t0) / 5);
        if (!got.every((v, i) => v === want[i])) throw new Error(`${path}: the mask differs from the old loop's`);
      }
    }
  }
}
addon.selectKernels('own', 'auto');
const table = [];
for (const [rows, cols] of shapes) {
  for (const threads of [1, 2]) {
    const row = { mask: `[${rows}×${cols}]`, threads };
    const old = median(times[`${rows}×${cols} ${threads} old`]);
    for (const path of paths) row[`${path} ms`] = +median(times[`${rows}×${cols} ${threads} ${path}`]).toFixed(2);
    for (const path of info.isas) row[`old/${path}`] = +(old / median(times[`${rows}×${cols} ${threads} ${path}`])).toFixed(1);
    table.push(row);
  }
}
if (process.argv.includes('--json')) console.log(JSON.stringify({ rows: table }));
else {
  console.log('dropout masks: the loop before the lanes (old) and the lanes on each vector path, wall ms per call (median), and the speed-up:');
  console.table(table);
}
