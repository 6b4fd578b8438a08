// Attention alone, forward and backward, at a fixed number of tokens B·T: the tiled kernels (PeftAttentionTiled +
// Grad, never [B, H, T, T]) against the dense path (PeftMaskedSoftmax + Grad around two batched products), GPT-2
// small's heads (H 12, p 64), causal, with an inducer's per-query support and dropout 0.1 as in training.
// Usage: node scripts/bench/attention-tiled.mjs [backend=wasm|cpu] [tokens=1024] [seqs=128,256,512,1024] [reps=3] [dropout=0.1]
// Prints one JSON line per (T, path): wall and CPU seconds (median of reps), the bytes tfjs held at the peak.
// isas=avx512,avx2,baseline instead times the tiled kernels alone (PeftAttentionTiled + Grad, tf.profile's kernel
// time) on each vector path of @peft/blas, the paths interleaved rep by rep; one JSON line per (T, path) with
// kernel_s (median) and its ratio to the first path's.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FusedKernelNames, trainingContext } from '@peft/core';
import { kernelAttention } from '@peft/attention-kernel';
import { registerBlasKernels } from '@peft/blas';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const backend = args.backend ?? 'wasm';
const tokens = +(args.tokens ?? 1024), reps = +(args.reps ?? 3), rate = +(args.dropout ?? 0.1);
const seqs = (args.seqs ?? '128,256,512,1024').split(',').map(Number);
await tf.setBackend(backend);
registerBlasKernels({ backends: [backend] });
const tiledKernels = [FusedKernelNames.attentionTiled, FusedKernelNames.attentionTiledGrad].map((k) => tf.getKernel(k, backend));
const [H, p] = [12, 64];

function step(q, k, v, pk, step) {
  const ctx = trainingContext(1, step);
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const out = kernelAttention({
        q, k, v, causal: true,
        supports: { perQuery: { keys: pk, mode: 'residual' } },
        dropout: (x) => ctx.dropout(x, rate),
        dropoutDraw: () => ctx.dropoutDraw(rate),
      });
      return tf.add(tf.sum(out.output), tf.sum(out.lambda));
    }, [q, k, v]);
    return Object.values(grads).map((g) => g.dataSync()[0]);
  });
}

if (args.isas) {
  const isas = args.isas.split(',');
  for (const T of seqs) {
    const B = Math.max(1, Math.round(tokens / T));
    const [q, k, v, pk] = [0, 1, 2, 3].map(() => tf.variable(tf.randomNormal([B, H, T, p], 0, 1, 'float32', 7)));
    const times = isas.map(() => []);
    for (let r = 0; r <= reps; r++) {
      for (const i of r % 2 ? [...isas.keys()].reverse() : [...isas.keys()]) {
        registerBlasKernels({ backends: [], isa: isas[i] });
        const prof = await tf.profile(() => step(q, k, v, pk, r));
        const ms = prof.kernels.filter((kr) => kr.name.startsWith('PeftAttentionTiled')).reduce((a, kr) => a + kr.kernelTimeMs, 0);
        if (r > 0) times[i].push(ms / 1000); // rep 0 warms each path up
      }
    }
    const med = (x) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
    isas.forEach((isa, i) => console.log(JSON.stringify({ backend, B, T, H, p, isa, kernel_s: +med(times[i]).toFixed(4), over_first: +(med(times[i]) / med(times[0])).toFixed(3) })));
    tf.dispose([q, k, v, pk]);
  }
  registerBlasKernels({ backends: [], isa: 'auto' });
  process.exit(0);
}

for (const T of seqs) {
  const B = Math.max(1, Math.round(tokens / T));
  const [q, k, v, pk] = [0, 1, 2, 3].map(() => tf.variable(tf.randomNormal([B, H, T, p], 0, 1, 'float32', 7)));
  for (const path of ['tiled', 'dense']) {
    for (const kc of tiledKernels) {
      if (path === 'dense' && tf.getKernel(kc.kernelName, backend)) tf.unregisterKernel(kc.kernelName, backend);
      if (path === 'tiled' && !tf.getKernel(kc.kernelName, backend)) tf.registerKernel(kc);
    }
    step(q, k, v, pk, 0); // warm-up
    const wall = [], cpu = [];
    let peak = 0;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now(), c0 = process.cpuUsage();
      const prof = await tf.profile(() => step(q, k, v, pk, r + 1));
      peak = Math.max(peak, prof.peakBytes);
      wall.push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
    }
    const med = (x) => x.sort((a, b) => a - b)[Math.floor(x.length / 2)];
    console.log(JSON.stringify({ backend, B, T, H, p, path, wall_s: med(wall), cpu_s: med(cpu), peak_mb: peak / 2 ** 20 }));
  }
  tf.dispose([q, k, v, pk]);
}
