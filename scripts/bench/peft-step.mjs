// One GPT-2-small-shaped training step in @peft, for side-by-side timing against scripts/bench/pytorch_step.py.
// The same step: frozen random N(0, 0.02) GPT-2 small (12 × 768, vocab 50,257, tied head), batch B × T, the NLG
// "inducer-lora" preset trainable, dropout 0.1 as in training, label smoothing 0.1, clipping at 1.0, AdamW.
// Usage: node scripts/bench/peft-step.mjs [backend=wasm|webgpu|cpu] [blas=1] [layers=12] [embd=768] [heads=12] [batch=8]
//          [seq=128] [steps=4] [remat=k] [dir=…]
// remat=k rematerialises the first k blocks in the backward pass (gradient checkpointing), to fit the wasm heap.
// backend=webgpu takes whatever adapter Dawn finds, software ones included, and reports it (fused=0: without
// @peft/webgpu's fused kernels, the models composing GELU and the LM loss from tfjs ops); embd/heads shrink the model
// (a software adapter binds at most 128 MiB per buffer: GPT-2 small's 154 MB token table does not fit).
// Prints one JSON line: { median_s, steps_s, peak_rss_mb, backend, blas, loss, adapter }.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { attach, selectBackend, trainingContext } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { getPreset } from '@peft/mam';
import { GPT2_SMALL_CONFIG, lmLoss, loadGpt2, writeRandomGpt2Checkpoint } from '@peft/models-gpt2-roberta';
import { AdamW, NLG_ADAMW, clipByGlobalNorm } from '@peft/recipes';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const REMAT = +(args.remat ?? 0);
const B = +(args.batch ?? 8), T = +(args.seq ?? 128), STEPS = +(args.steps ?? 4), LAYERS = +(args.layers ?? 12);
const EMBD = +(args.embd ?? 768), HEADS = +(args.heads ?? 12);
const shapeTag = `${LAYERS === 12 ? '' : `-${LAYERS}l`}${EMBD === 768 ? '' : `-${EMBD}d`}`;
const dir = args.dir ?? new URL(`../../test-fixtures/gpt2-small-shaped${shapeTag}`, import.meta.url).pathname;

if (args.fused === '0') process.env.PEFT_WEBGPU_FUSED = '0';
const choice = await selectBackend({ only: [args.backend ?? 'wasm'] });
const cpuSide = choice.backend === 'wasm' || choice.backend === 'cpu';
const blas = args.blas === '0' || !cpuSide ? { available: false, registered: [] } : registerBlasKernels({ backends: [choice.backend] });
if (!existsSync(`${dir}/model.safetensors`)) await writeRandomGpt2Checkpoint(dir, { ...GPT2_SMALL_CONFIG, n_layer: LAYERS, n_embd: EMBD, n_head: HEADS });
const model = await loadGpt2(dir);
const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
const named = tuned.instance.params.entries();
const opt = new AdamW(named, NLG_ADAMW);
const vars = named.map(([, v]) => v);

let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % model.vocabSize;
const ids = tf.tensor2d(Array.from({ length: B }, () => Array.from({ length: T }, rnd)), [B, T], 'int32');

const times = [];
let loss = NaN;
for (let step = 0; step < STEPS; step++) {
  const t0 = performance.now();
  const ctx = trainingContext(0, step);
  const { value, grads } = tf.variableGrads(() => {
    const { hidden } = model.forward({ inputIds: ids, ctx, checkpointBlocks: REMAT });
    return lmLoss(model, hidden, ids, { labelSmoothing: 0.1 });
  }, vars);
  const clipped = await clipByGlobalNorm(vars.map((v) => grads[v.name]), 1.0);
  opt.apply(clipped.grads, 1.25e-3);
  loss = (await value.data())[0]; // waits for the step's work: the GPU runs it asynchronously
  tf.dispose([value, ...Object.values(grads), ...clipped.grads]);
  times.push((performance.now() - t0) / 1000);
}
const steady = (times.length > 1 ? times.slice(1) : times).sort((a, b) => a - b);
console.log(JSON.stringify({
  median_s: steady[Math.floor(steady.length / 2)],
  steps_s: times,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  backend: choice.backend,
  blas: blas.registered.length > 0,
  gemm: blas.gemm ?? null,
  remat: REMAT,
  notes: choice.notes ?? [],
  shape: { layers: LAYERS, embd: EMBD, heads: HEADS, batch: B, seq: T },
  adapter: choice.device ? { name: choice.device.name, vendor: choice.device.vendor, software: choice.device.software } : null,
  trainable: tuned.trainableParameters().total,
  tensors: tf.memory().numTensors,
  loss,
}));
process.exit(0);
