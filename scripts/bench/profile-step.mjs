// Where a @peft training step spends its time: kernel wall time by kernel name (tf.profile), one step after a warm-up.
// Only registered kernels are counted (custom-gradient scopes wrap kernels that are listed themselves).
// Usage: node scripts/bench/profile-step.mjs [backend=wasm] [blas=1] [layers=1] [batch=8] [seq=128] [remat=k]
//        [model=small|medium|smollm2] [by=kernel|shape] [top=20]
// model=smollm2: the SmolLM2-135M-shaped Llama step of scripts/bench/llama-step.mjs (LoRA r 8, dropout 0.05, on all
// seven projections; no label smoothing), default B 8 × T 256.
import * as tf from '@tensorflow/tfjs-core';
import { attach, leanVariableGrads, modelLinearSites, selectBackend, trainingContext } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { getPreset } from '@peft/mam';
import { loadGpt2 } from '@peft/models-gpt2-roberta';
import { lmLoss } from '@peft/models-base';
import { gpt2Fixture } from './fixtures.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const llama = args.model === 'smollm2';
const B = +(args.batch ?? 8), T = +(args.seq ?? (llama ? 256 : 128)), LAYERS = +(args.layers ?? 1);
const choice = await selectBackend({ only: [args.backend ?? 'wasm'] });
if (args.blas !== '0') registerBlasKernels({ backends: [choice.backend] });
let model, tuned;
if (llama) {
  const [{ loadLlama }, { lora }, { smolLm2Fixture }] = await Promise.all([import('@peft/models-llama'), import('@peft/lora'), import('./llama-fixture.mjs')]);
  model = await loadLlama(await smolLm2Fixture(LAYERS));
  tuned = attach(model, lora({ sites: modelLinearSites(model.spec), rank: 8, alpha: 16, dropout: 0.05, flavour: 'loralib' }), { seed: 0 });
} else {
  model = await loadGpt2(await gpt2Fixture(args.model ?? 'small', LAYERS));
  tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
}
const vars = tuned.trainableVariables();
const ids = tf.randomUniform([B, T], 0, model.vocabSize, 'int32');
const step = (s) => {
  const { value, grads } = leanVariableGrads(() => lmLoss(model, model.forward({ inputIds: ids, ctx: trainingContext(0, s), checkpointBlocks: +(args.remat ?? 0) }).hidden, ids, { labelSmoothing: llama ? 0 : 0.1 }), vars);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
step(0);
const t0 = performance.now();
const info = await tf.profile(() => step(1));
const wall = (performance.now() - t0) / 1000;
const by = new Map();
let total = 0;
for (const k of info.kernels) {
  if (!tf.getKernel(k.name, choice.backend)) continue;
  const key = args.by === 'shape' ? `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}` : k.name;
  const e = by.get(key) ?? { ms: 0, n: 0 };
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  e.ms += ms;
  total += ms;
  e.n++;
  by.set(key, e);
}
const rows = [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, +(args.top ?? 20)).map(([name, e]) => ({ kernel: name.slice(0, 90), calls: e.n, seconds: +(e.ms / 1000).toFixed(3) }));
console.log(`wall ${wall.toFixed(1)} s (profiled), kernels ${(total / 1000).toFixed(1)} s, peak ${(info.peakBytes / 2 ** 20).toFixed(0)} MB live tensors`);
console.table(rows);
process.exit(0);
