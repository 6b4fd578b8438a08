// One MNLI-shaped training step in @peft: RoBERTa-base-shaped random checkpoint (12 × 768, vocab 50,265, a 3-class
// head), batch B × T with padded rows (row r keeps 64 + (37·r mod 64) tokens, as scripts/bench/pytorch_step.py
// model=roberta), the NLU "nlu-inducer-lora" preset trainable, dropout 0.1, cross-entropy, clipping at 1.0, AdamW.
// Usage: node scripts/bench/roberta-step.mjs [backend=wasm] [blas=1] [batch=32] [seq=128] [steps=3] [remat=k]
// Prints one JSON line: { median_s, steps_s, cpu_s, peak_rss_mb, backend, remat, loss, … }.
import * as tf from '@tensorflow/tfjs-core';
import { attach, selectBackend } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { getPreset } from '@peft/mam';
import { classificationLoss, loadRoberta } from '@peft/models-gpt2-roberta';
import { AdamW, NLU_ADAMW } from '@peft/recipes';
import { robertaFixture } from './fixtures.mjs';
import { timedSteps } from './timed-steps.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const B = +(args.batch ?? 32), T = +(args.seq ?? 128), STEPS = +(args.steps ?? 3), REMAT = +(args.remat ?? 0);
const choice = await selectBackend({ only: [args.backend ?? 'wasm'] });
const blas = args.blas === '0' ? { registered: [] } : registerBlasKernels({ backends: [choice.backend] });
const model = await loadRoberta(await robertaFixture(), { numLabels: 3 });
const tuned = attach(model, getPreset('nlu-inducer-lora').build(), { seed: 0 });
const named = tuned.instance.params.entries();
const opt = new AdamW(named, NLU_ADAMW);
const vars = named.map(([, v]) => v);

let seed = 1;
const rnd = (k) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % k;
const lengths = Array.from({ length: B }, (_, r) => Math.min(T, 64 + ((37 * r) % 64)));
// <s> … </s> then padding (id 1), the attention mask 1 on the real tokens
const ids = tf.tensor2d(lengths.map((l) => Array.from({ length: T }, (_, j) => (j === 0 ? 0 : j === l - 1 ? 2 : j < l ? 3 + rnd(50000) : 1))), [B, T], 'int32');
const mask = tf.tensor2d(lengths.map((l) => Array.from({ length: T }, (_, j) => (j < l ? 1 : 0))), [B, T], 'int32');
const labels = tf.tensor1d(Array.from({ length: B }, () => rnd(3)), 'int32');

const { times, cpu, loss, median } = await timedSteps({
  steps: STEPS,
  vars,
  opt,
  lr: 2e-4,
  grads: args.grads,
  loss: (ctx) => classificationLoss(model.classify(model.forward({ inputIds: ids, attentionMask: mask, ctx, checkpointBlocks: REMAT }).hidden, ctx), labels),
});
console.log(JSON.stringify({
  median_s: median,
  steps_s: times,
  cpu_s: cpu,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  backend: choice.backend,
  blas: blas.registered.length > 0,
  batch: B,
  seq: T,
  remat: REMAT,
  trainable: tuned.trainableParameters().total,
  tensors: tf.memory().numTensors,
  loss,
}));
process.exit(0);
