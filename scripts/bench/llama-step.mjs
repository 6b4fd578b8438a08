// One SmolLM2-135M-shaped training step in @peft, for side-by-side timing against scripts/bench/pytorch_llama_step.py
// (transformers' LlamaForCausalLM + PEFT 0.21's LoRA): the "models describe themselves" issue's Llama-shaped step.
// The same step: frozen random SmolLM2-135M-shaped Llama (30 layers × 576, 9 heads, 3 key/value heads, FFN 1,536,
// vocab 49,152, tied head, rope_theta 100,000, rms_norm_eps 1e-5; HF init N(0, 0.02), written once by
// @peft/models-llama's fixture writer under test-output/bench-fixtures/), LoRA on all seven projections (q, k, v, o,
// gate, up, down; PEFT's LoRA: r 8, α 16, dropout 0.05), batch B × T of random ids, the LM loss with labels = inputs
// (shifted inside, no label smoothing, as LlamaForCausalLM's loss), clipping at 1.0, AdamW.
// Usage: node scripts/bench/llama-step.mjs [backend=cpu|wasm] [remat=k] [batch=8] [seq=256] [layers=30] [steps=3]
// Prints one JSON line: { median_s, steps_s, cpu_s, peak_rss_mb, backend, remat, trainable, loss, … }.
import * as tf from '@tensorflow/tfjs-core';
import { attach, modelLinearSites, selectBackend } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { lora } from '@peft/lora';
import { lmLoss } from '@peft/models-base';
import { loadLlama } from '@peft/models-llama';
import { AdamW } from '@peft/recipes';
import { smolLm2Fixture } from './llama-fixture.mjs';
import { timedSteps } from './timed-steps.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const B = +(args.batch ?? 8), T = +(args.seq ?? 256), STEPS = +(args.steps ?? 3), REMAT = +(args.remat ?? 0);
const dir = args.dir ?? (await smolLm2Fixture(args.layers === undefined ? undefined : +args.layers));

const choice = await selectBackend({ only: [args.backend ?? 'cpu'] });
const blas = args.blas === '0' ? { available: false, registered: [] } : registerBlasKernels({ backends: [choice.backend] });
const model = await loadLlama(dir);
const tuned = attach(model, lora({ sites: modelLinearSites(model.spec), rank: 8, alpha: 16, dropout: 0.05, flavour: 'loralib' }), { seed: 0 });
const named = tuned.instance.params.entries();
const opt = new AdamW(named, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
const vars = named.map(([, v]) => v);

let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % model.vocabSize;
const ids = tf.tensor2d(Array.from({ length: B }, () => Array.from({ length: T }, rnd)), [B, T], 'int32');

const { times, cpu, loss, median } = await timedSteps({
  steps: STEPS,
  vars,
  opt,
  lr: 1e-4,
  grads: args.grads,
  checkFinite: true,
  loss: (ctx) => lmLoss(model, model.forward({ inputIds: ids, ctx, ...(REMAT ? { checkpointBlocks: REMAT } : {}) }).hidden, ids),
});
console.log(JSON.stringify({
  median_s: median,
  steps_s: times,
  cpu_s: cpu,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  backend: choice.backend,
  blas: blas.registered.length > 0,
  gemm: blas.gemm ?? null,
  layers: model.spec.numLayers,
  batch: B,
  seq: T,
  remat: REMAT,
  trainable: tuned.trainableParameters().total,
  loss,
  tensors: tf.memory().numTensors,
}));
process.exit(0);
