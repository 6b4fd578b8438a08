// Where a @peft training step spends its time: kernel wall time by kernel name (tf.profile), one step after a warm-up.
// Usage: node scripts/bench/profile-step.mjs [backend=wasm] [blas=1] [layers=1] [batch=8] [seq=128] [remat=k]
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { attach, selectBackend, trainingContext } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { getPreset } from '@peft/mam';
import { GPT2_SMALL_CONFIG, lmLoss, loadGpt2, writeRandomGpt2Checkpoint } from '@peft/models-gpt2-roberta';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const B = +(args.batch ?? 8), T = +(args.seq ?? 128), LAYERS = +(args.layers ?? 1);
const dir = new URL(`../../test-fixtures/gpt2-small-shaped${LAYERS === 12 ? "" : `-${LAYERS}l`}`, import.meta.url).pathname;
const choice = await selectBackend({ only: [args.backend ?? 'wasm'] });
if (args.blas !== '0') registerBlasKernels({ backends: [choice.backend] });
if (!existsSync(`${dir}/model.safetensors`)) await writeRandomGpt2Checkpoint(dir, { ...GPT2_SMALL_CONFIG, n_layer: LAYERS });
const model = await loadGpt2(dir);
const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
const vars = tuned.trainableVariables();
const ids = tf.randomUniform([B, T], 0, model.vocabSize, 'int32');
const step = (s) => {
  const { value, grads } = tf.variableGrads(() => lmLoss(model, model.forward({ inputIds: ids, ctx: trainingContext(0, s), checkpointBlocks: +(args.remat ?? 0) }).hidden, ids, { labelSmoothing: 0.1 }), vars);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
step(0);
const t0 = performance.now();
const info = await tf.profile(() => step(1));
const wall = (performance.now() - t0) / 1000;
const by = new Map();
for (const k of info.kernels) {
  const e = by.get(k.name) ?? { ms: 0, n: 0 };
  e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  e.n++;
  by.set(k.name, e);
}
const rows = [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20).map(([name, e]) => ({ kernel: name, calls: e.n, seconds: +(e.ms / 1000).toFixed(2) }));
console.log(`wall ${wall.toFixed(1)} s (profiled), peak ${(info.peakBytes / 2 ** 20).toFixed(0)} MB live tensors`);
console.table(rows);
process.exit(0);
