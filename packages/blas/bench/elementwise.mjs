// The exp/tanh-bound elementwise kernels on each vector path this CPU has (AVX-512, AVX2, baseline…), one thread,
// CPU milliseconds per call over GPT-2 small's FFN activation [1024×3072] (median of 5 interleaved rounds of 10 calls),
// and each path's speed-up over the next narrower one.
// Usage: node bench/elementwise.mjs [--json]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = require('../build/Release/peft_blas.node');
const info = addon.kernelInfo();
addon.setThreads(1);
const n = 1024 * 3072, x = new Float32Array(n), dy = new Float32Array(n).fill(1), y = new Float32Array(n);
for (let i = 0; i < n; i++) x[i] = ((i % 2001) - 1000) / 300;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const ops = [['gelu_new', 2], ['gelu_new gradient', 3], ['exp', 1], ['tanh', 0]];
const times = {};
for (let r = 0; r < 5; r++) {
  for (const isa of r % 2 ? [...info.isas].reverse() : info.isas) {
    addon.selectKernels('own', isa);
    for (const [name, op] of ops) {
      const c0 = cpuMs();
      for (let q = 0; q < 10; q++) addon.elementwise(op, x, 0, dy, 0, y, 0, n);
      (times[`${name} ${isa}`] ??= []).push((cpuMs() - c0) / 10);
    }
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const rows = ops.map(([name]) => {
  const row = { op: `${name} [1024×3072]` };
  for (const isa of info.isas) row[`${isa} ms`] = +median(times[`${name} ${isa}`]).toFixed(2);
  info.isas.slice(0, -1).forEach((isa, i) => {
    row[`${isa}/${info.isas[i + 1]}`] = +(median(times[`${name} ${info.isas[i + 1]}`]) / median(times[`${name} ${isa}`])).toFixed(2);
  });
  return row;
});
if (process.argv.includes('--json')) console.log(JSON.stringify({ rows }));
else {
  console.log('elementwise kernels per vector path, one thread, CPU ms per call (median), and the speed-up over the next narrower path:');
  console.table(rows);
}
