// The LM head's two products per loss chunk (logits h·Eᵀ and dh = dz·E, GPT-2's [50,257 × 768] table) at several chunk
// sizes, GFLOP/s through @peft/blas on wasm, three interleaved rounds: why lmLossChunkRows aims at 64 MiB chunks.
// Usage: node scripts/bench/head-chunks.mjs
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
await selectBackend({ only: ['wasm'] });
registerBlasKernels({ backends: ['wasm'] });
const E = tf.randomNormal([50257, 768]);
const res = {};
for (let round = 0; round < 3; round++) for (const rows of [128, 256, 333, 512, 1024]) {
  const h = tf.randomNormal([rows, 768]);
  const dz = tf.randomNormal([rows, 50257]);
  const f = () => { tf.matMul(h, E, false, true).dispose(); tf.matMul(dz, E).dispose(); };
  f();
  const t0 = performance.now(); const reps = Math.ceil(2048 / rows); for (let i = 0; i < reps; i++) f();
  const s = (performance.now() - t0) / 1000; const gf = reps * 2 * 2 * rows * 768 * 50257 / 1e9;
  (res[rows] ??= []).push(+(gf / s).toFixed(0));
  tf.dispose([h, dz]);
}
console.log('GFLOP/s (logits + dh) by chunk rows', JSON.stringify(res));
