// Whether tfjs's threaded-SIMD wasm build runs in this Node, and if so its matmul throughput beside the plain SIMD
// build. tfjs turns the flag off in Node (tensorflow/tfjs#3830); this forces it on to see what happens.
// Prints one JSON line: { threaded: { available, reason?, gflops? }, simd_gflops }.
import { spawnSync } from 'node:child_process';

const child = process.argv[2];
if (child) {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (child === 'threaded') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(2);
  }
  const errors = [];
  const warn = console.warn;
  console.warn = console.log = (...a) => errors.push(a.map(String).join(' '));
  const ok = await tf.setBackend('wasm').catch((e) => (errors.push(String(e?.message ?? e)), false));
  console.warn = warn;
  if (!ok) {
    const reason = errors.find((l) => /Error|ERR_/.test(l)) ?? errors[0] ?? 'setBackend returned false';
    process.stdout.write(JSON.stringify({ available: false, reason: reason.split('\n')[0] }) + '\n');
    process.exit(0);
  }
  const a = tf.randomNormal([1024, 768]);
  const b = tf.randomNormal([768, 768]);
  tf.matMul(a, b).dataSync();
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) tf.matMul(a, b).dataSync();
  const gflops = (10 * 2 * 1024 * 768 * 768) / ((performance.now() - t0) / 1000) / 1e9;
  process.stdout.write(JSON.stringify({ available: true, gflops: +gflops.toFixed(1), threads: child === 'threaded' ? wasm.getThreadsCount() : 1 }) + '\n');
  process.exit(0);
}

const run = (mode) => {
  const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, mode], { encoding: 'utf8', timeout: 120_000 });
  const line = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? JSON.parse(line) : { available: false, reason: `exit ${r.status}: ${(r.stderr || '').split('\n')[0]}` };
};
const simd = run('simd');
const threaded = run('threaded');
console.log(JSON.stringify({ threaded, simd_gflops: simd.gflops ?? null }));
