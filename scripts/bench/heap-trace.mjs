// Where a training step's wasm heap peak comes from: one GPT-2-shaped step (forward + backward, as peft-step.mjs),
// sampling after every kernel the bytes of live tensors (what the wasm heap's malloc handed out and not taken back)
// and the wasm heap's size. Prints the
// peak of live bytes (and the kernel it followed, forward or backward), the heap's final size, and the live bytes
// at the forward's end (the tape) — heap − peak live = the allocator's fragmentation and overhead.
// Usage: node scripts/bench/heap-trace.mjs [layers=12] [batch=8] [seq=128] [remat=0] [steps=2] [grads=tfjs]
//          [timeline=k: live MB every k kernels, f = forward, b = backward]
import * as tf from '@tensorflow/tfjs-core';
import { attach, leanVariableGrads, selectBackend, trainingContext } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { getPreset } from '@peft/mam';
import { lmLoss, loadGpt2 } from '@peft/models-gpt2-roberta';
import { gpt2Fixture } from './fixtures.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const B = +(args.batch ?? 8), T = +(args.seq ?? 128), REMAT = +(args.remat ?? 0);
const choice = await selectBackend({ only: ['wasm'] });
registerBlasKernels({ backends: [choice.backend] });
const model = await loadGpt2(await gpt2Fixture('small', args.layers ? +args.layers : undefined));
const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
const vars = tuned.instance.params.variables();
const ids = tf.randomUniform([B, T], 0, model.vocabSize, 'int32');
const engine = tf.engine();
const backend = tf.backend();
const MB = (b) => +(b / 2 ** 20).toFixed(0);
const heap = () => backend.wasm.HEAPU8.buffer.byteLength;
let phase = 'forward';
let peak = { live: 0 };
let count = 0;
const timeline = [];
// live bytes = what the wasm heap's malloc has handed out and not taken back (each tensor's data once, and kernels' scratch)
const w = backend.wasm;
w._free(w._malloc(16)); // (the module replaces its lazy trampolines on first call)
const sizes = new Map();
let allocated = 0;
const malloc = w._malloc.bind(w), free = w._free.bind(w);
w._malloc = (n) => { const p = malloc(n); sizes.set(p >>> 0, n); allocated += n; return p; };
w._free = (p) => { allocated -= sizes.get(p >>> 0) ?? 0; sizes.delete(p >>> 0); return free(p); };
const orig = engine.runKernelFunc.bind(engine);
engine.runKernelFunc = (k) => {
  const out = orig(k);
  count++;
  const live = allocated;
  if (live > peak.live) peak = { live, kernel: k.kernelName ?? '?', phase, count, heap: heap() };
  if (args.timeline && count % +args.timeline === 0) timeline.push(`${phase[0]}${count}:${MB(live)}`);
  return out;
};
const mb0 = { live: allocated, heap: heap() };
for (let step = 0; step < +(args.steps ?? 2); step++) {
  phase = 'forward';
  peak = { live: 0 };
  count = 0;
  let tape = 0;
  const ctx = trainingContext(0, step);
  const { value, grads } = (args.grads === 'tfjs' ? tf.variableGrads : leanVariableGrads)(() => {
    const { hidden } = model.forward({ inputIds: ids, ctx, checkpointBlocks: REMAT });
    const l = lmLoss(model, hidden, ids, { labelSmoothing: 0.1 });
    tape = allocated;
    phase = 'backward';
    return l;
  }, vars);
  tf.dispose([value, ...Object.values(grads)]);
  if (timeline.length) console.log(timeline.splice(0).join(' '));
  console.log(JSON.stringify({ step, before: { live: MB(mb0.live), heap: MB(mb0.heap) }, liveAtLoss: MB(tape), peakLive: MB(peak.live), peakAt: `${peak.phase} #${peak.count} ${peak.kernel}`, heapAtPeak: MB(peak.heap), heapNow: MB(heap()), rssMaxMB: MB(process.resourceUsage().maxRSS * 1024) }));
}
process.exit(0);
