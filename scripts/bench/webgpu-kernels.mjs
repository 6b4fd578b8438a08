// Where a training step's time goes on WebGPU, kernel by kernel: records every kernel one GPT-2-shaped training step
// (inducer + LoRA, fwd + bwd) runs, then replays each distinct call (kernel, input shapes, attributes) on its own,
// timed to completion, and prints the calls that cost most (per-call time × calls in the step). On a software adapter
// the figures show what the CPU rasteriser finds slow, which is a hint, not a GPU measurement.
// Usage: node scripts/bench/webgpu-kernels.mjs [backend=webgpu] [layers=2] [embd=256] [heads=4] [batch=4] [seq=64] [top=25]
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { attach, selectBackend, trainingContext } from '@peft/core';
import { getPreset } from '@peft/mam';
import { GPT2_SMALL_CONFIG, lmLoss, loadGpt2, writeRandomGpt2Checkpoint } from '@peft/models-gpt2-roberta';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const B = +(args.batch ?? 4), T = +(args.seq ?? 64), LAYERS = +(args.layers ?? 2), EMBD = +(args.embd ?? 256), HEADS = +(args.heads ?? 4);
const dir = new URL(`../../test-fixtures/gpt2-small-shaped-${LAYERS}l${EMBD === 768 ? '' : `-${EMBD}d`}`, import.meta.url).pathname;
const choice = await selectBackend({ only: [args.backend ?? 'webgpu'] });
if (!existsSync(`${dir}/model.safetensors`)) await writeRandomGpt2Checkpoint(dir, { ...GPT2_SMALL_CONFIG, n_layer: LAYERS, n_embd: EMBD, n_head: HEADS });
const model = await loadGpt2(dir);
const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
const vars = tuned.trainableVariables();
const ids = tf.tensor2d(Array.from({ length: B * T }, (_, i) => (i * 7919 + 13) % model.vocabSize), [B, T], 'int32');
const step = async (s) => {
  const { value, grads } = tf.variableGrads(() => lmLoss(model, model.forward({ inputIds: ids, ctx: trainingContext(0, s) }).hidden, ids, { labelSmoothing: 0.1 }), vars);
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
};
await step(0);

// record the kernel calls of one step
const engine = tf.engine();
const calls = new Map();
const runKernel = engine.runKernel.bind(engine);
engine.runKernel = (name, inputs, attrs) => {
  const ins = Object.entries(inputs).map(([k, t]) => [k, t.shape, t.dtype]);
  const key = `${name} ${ins.map(([k, s, d]) => `${k}[${s}]${d === 'float32' ? '' : d}`).join(' ')} ${JSON.stringify(attrs ?? {})}`;
  const c = calls.get(key) ?? { name, ins, attrs, n: 0 };
  c.n++;
  calls.set(key, c);
  return runKernel(name, inputs, attrs);
};
let t0 = performance.now();
await step(1);
const stepS = (performance.now() - t0) / 1000;
engine.runKernel = runKernel;

// replay each distinct call, 3 times after a warm-up, timed to completion
const rows = [];
for (const [key, c] of calls) {
  const inputs = Object.fromEntries(c.ins.map(([k, s, d]) => [k, d === 'float32' ? tf.randomUniform(s, -1, 1) : tf.zeros(s, d)]));
  const once = () => {
    const out = engine.runKernel(c.name, inputs, c.attrs);
    return Array.isArray(out) ? out : [out];
  };
  try {
    for (const t of once()) await t.data(), t.dispose();
    t0 = performance.now();
    const outs = [once(), once(), once()].flat();
    for (const t of outs) await t.data();
    const ms = (performance.now() - t0) / 3;
    tf.dispose(outs);
    rows.push({ call: key.slice(0, 110), calls: c.n, ms_per_call: +ms.toFixed(2), ms_in_step: +(ms * c.n).toFixed(1) });
  } catch (e) {
    rows.push({ call: key.slice(0, 110), calls: c.n, ms_per_call: NaN, ms_in_step: NaN, error: String(e.message).slice(0, 60) });
  }
  tf.dispose(Object.values(inputs));
}
rows.sort((a, b) => (b.ms_in_step || 0) - (a.ms_in_step || 0));
const total = rows.reduce((a, r) => a + (r.ms_in_step || 0), 0);
console.log(`${choice.backend}${choice.device ? ` on ${choice.device.name}` : ''}: one step ${stepS.toFixed(2)} s wall; ${calls.size} distinct kernel calls, replayed one by one ${(total / 1000).toFixed(2)} s`);
console.table(rows.slice(0, +(args.top ?? 25)));
process.exit(0);
