// One GPT-2-shaped training step in @peft, for side-by-side timing against scripts/bench/pytorch_step.py.
// The same step: frozen random N(0, 0.02) GPT-2 (small: 12 × 768, medium: 24 × 1024; vocab 50,257, tied head), batch
// B × T, the NLG "inducer-lora" preset trainable, dropout 0.1 as in training, label smoothing 0.1, clipping at 1.0,
// AdamW.
// Usage: node scripts/bench/peft-step.mjs [backend=wasm|cpu|webgpu] [blas=1] [model=small|medium] [layers=…] [embd=…]
//          [heads=…] [batch=8] [seq=128] [steps=4] [remat=k] [dir=…] [without=a,b] [native=1|shapes|calls] [kernels=1]
// without= leaves out some of @peft/blas's round-3 kernels to measure each one (the step then takes tfjs's kernels or the
// models' composed ops): masked-softmax (PeftMaskedSoftmax + Grad: attention's scores → probabilities and back),
// cross-entropy (PeftSoftmaxCrossEntropy + Grad: the LM loss), dropout-mask (PeftDropoutMask), gelu (PeftGeluTanh +
// Grad), layer-norm (PeftLayerNorm + Grad, round 4: LayerNorm as nine and eight tfjs ops), transposed-matmul (the
// backend feature: the models then keep transposed copies of the frozen weights),
// wasm-slice (tfjs-wasm's own Slice instead of @peft/blas's), tiled-attention (PeftAttentionTiled + Grad: attention in
// tiles of keys, never [B, H, T, T]; without it the step takes the dense path of round 3), adamw (PeftAdamW: AdamW
// composed from tfjs ops), reduce-total (PeftReduceTotal: norms and finiteness as Square/Mul + Sum).
// remat=k rematerialises the first k blocks in the backward pass (gradient checkpointing), to fit the wasm heap.
// grads=tfjs takes tf.variableGrads instead of @peft/core's leanVariableGrads (which `peft train` uses: its backward
// frees each gradient as it goes), to measure what that saves.
// backend=webgpu takes whatever adapter Dawn finds, software ones included, and reports it (fused=0: without
// @peft/webgpu's fused kernels, the models composing GELU and the LM loss from tfjs ops); embd/heads shrink the model
// (a software adapter binds at most 128 MiB per buffer: GPT-2 small's 154 MB token table does not fit).
// backend=webgpu also counts what each step sends to the GPU (@peft/webgpu's countGpuWork: dispatches, submits,
// pipelines created, uploads, readbacks, copies and their bytes), as gpu_work, one record per step (count=0: not).
// step=device (default on webgpu, as `peft train` runs there) ends the step as the training loop's one-readback mode
// does (@peft/recipes' DeviceStep: clip coefficient, gated AdamW update and the weights' finiteness on the backend,
// [loss, norm, probe] read back once); step=host (default elsewhere, as `peft train` runs there) reads the loss, the
// gradient norm (clipByGlobalNorm) and the weights' finiteness back inside the step, three readbacks.
// tally=1 (webgpu) prints, on stderr, the last step's dispatches by program and uploads by dtype and shape
// (TALLY_SITES=1: scalar uploads by the @peft call site that made them).
// Prints one JSON line: { median_s, steps_s, cpu_s, peak_rss_mb, wasm_heap_mb (wasm: the heap, which grows to the
// step's peak plus what fragmentation costs and never shrinks), backend, blas, loss, matmul_flops, adapter, … };
// native=1 adds native_ms (see below); with step=host also phases_ms, the median over the steps after the first of each phase's ms: forward_backward (to
// the loss read back), clip (clipByGlobalNorm), update (AdamW), finite (the weights' finiteness probe).
// matmul_flops are counted from every BatchMatMul the first step runs (2·batch·m·n·k each, from the input shapes).
import * as tf from '@tensorflow/tfjs-core';
import { BackendFeatures, FusedKernelNames, attach, leanVariableGrads, selectBackend, trainingContext, withdrawBackendFeature } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { countGpuWork } from '@peft/webgpu';
import { getPreset } from '@peft/mam';
import { lmLoss, loadGpt2 } from '@peft/models-gpt2-roberta';
import { AdamW, DeviceStep, NLG_ADAMW, clipByGlobalNorm, tensorsFinite } from '@peft/recipes';
import { createRequire } from 'node:module';
import { gpt2Fixture } from './fixtures.mjs';
import { countMatmulFlops } from './matmul-count.mjs';
import { middleValue } from './medians.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const REMAT = +(args.remat ?? 0);
const B = +(args.batch ?? 8), T = +(args.seq ?? 128), STEPS = +(args.steps ?? 4);
const size = args.model ?? 'small';
const num = (k) => (args[k] === undefined ? undefined : +args[k]);
const dir = args.dir ?? (await gpt2Fixture(size, { layers: num('layers'), embd: num('embd'), heads: num('heads') }));

if (args.fused === '0') process.env.PEFT_WEBGPU_FUSED = '0';
const choice = await selectBackend({ only: [args.backend ?? 'wasm'] });
const cpuSide = choice.backend === 'wasm' || choice.backend === 'cpu';
// tfjs's own kernels that `without=` can put back over @peft/blas's replacements
const REPLACED = { 'wasm-slice': 'Slice' };
const tfjsOwn = Object.fromEntries(Object.entries(REPLACED).map(([k, name]) => [k, tf.getKernel(name, choice.backend)]));
const blas = args.blas === '0' || !cpuSide ? { available: false, registered: [] } : registerBlasKernels({ backends: [choice.backend] });
const WITHOUT = {
  'wasm-slice': [],
  'masked-softmax': [FusedKernelNames.maskedSoftmax, FusedKernelNames.maskedSoftmaxGrad],
  'tiled-attention': [FusedKernelNames.attentionTiled, FusedKernelNames.attentionTiledGrad],
  'cross-entropy': [FusedKernelNames.softmaxCrossEntropy, FusedKernelNames.softmaxCrossEntropyGrad],
  'dropout-mask': [FusedKernelNames.dropoutMask],
  gelu: [FusedKernelNames.geluTanh, FusedKernelNames.geluTanhGrad],
  'layer-norm': [FusedKernelNames.layerNorm, FusedKernelNames.layerNormGrad],
  adamw: [FusedKernelNames.adamw],
  'reduce-total': [FusedKernelNames.reduceTotal],
  'transposed-matmul': [],
};
const without = (args.without ?? '').split(',').filter(Boolean);
for (const w of without) {
  if (!(w in WITHOUT)) throw new Error(`without=${w}: one of ${Object.keys(WITHOUT).join(', ')}`);
  for (const k of WITHOUT[w]) if (tf.getKernel(k, choice.backend)) tf.unregisterKernel(k, choice.backend);
  if (w === 'transposed-matmul') withdrawBackendFeature(choice.backend, BackendFeatures.transposedMatMul);
  if (w in REPLACED && tfjsOwn[w]) {
    tf.unregisterKernel(REPLACED[w], choice.backend);
    tf.registerKernel(tfjsOwn[w]);
  }
}
const model = await loadGpt2(dir);
const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
const named = tuned.instance.params.entries();
const opt = new AdamW(named, NLG_ADAMW);
const vars = named.map(([, v]) => v);

let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % model.vocabSize;
const ids = tf.tensor2d(Array.from({ length: B }, () => Array.from({ length: T }, rnd)), [B, T], 'int32');

const times = [];
const cpu = [];
let loss = NaN;
let gradNorm = NaN;
if (!['host', 'device', undefined].includes(args.step)) throw new Error(`step=${args.step}: host or device`);
const ON_DEVICE = (args.step ?? (choice.backend === 'webgpu' ? 'device' : 'host')) === 'device';
const deviceStep = ON_DEVICE ? new DeviceStep(opt, 1.0) : null;
let flops = 0;
const gpuWork = [];
const gpuCounter = choice.backend === 'webgpu' && args.count !== '0' ? countGpuWork(tf.backend().device) : null;
// tally=1 (webgpu): the last step's dispatches by program and uploads by dtype and shape, on stderr
const tally = choice.backend === 'webgpu' && args.tally === '1' ? tallyWebgpu(tf.backend()) : null;
function tallyWebgpu(backend) {
  const programs = new Map();
  const uploads = new Map();
  const run = backend.runWebGPUProgram.bind(backend);
  const upload = backend.uploadToGPU.bind(backend);
  backend.runWebGPUProgram = (program, ...rest) => {
    const out = run(program, ...rest);
    const key = `${program.constructor?.name ?? ''} ${String(program.shaderKey).slice(0, 40)}`;
    programs.set(key, (programs.get(key) ?? 0) + 1);
    return out;
  };
  backend.uploadToGPU = (dataId) => {
    const d = backend.tensorMap.get(dataId);
    if (d && d.resource == null && d.values) {
      let key = `${d.dtype}[${d.shape}]`;
      if (process.env.TALLY_SITES && d.shape.length === 0) Error.stackTraceLimit = 60, key += ' ' + new Error().stack.split('\n').filter((l) => /packages\/(?!.*tfjs)/.test(l) && !/webgpu\/dist|core\/dist/.test(l)).slice(0, 3).map((l) => l.trim().replace(/.*packages\//, '')).join(' < ');
      uploads.set(key, (uploads.get(key) ?? 0) + 1);
    }
    return upload(dataId);
  };
  return {
    reset() { programs.clear(); uploads.clear(); },
    print() {
      const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(5)}  ${k}`).join('\n');
      process.stderr.write(`dispatching programs:\n${sorted(programs)}\nuploads:\n${sorted(uploads)}\n`);
    },
  };
}
// One more call of `ms` into bucket[key] (made on first use), with any further sums (`extra`: name → amount).
function addCall(bucket, key, ms, extra = {}) {
  const e = (bucket[key] ??= { ms: 0, calls: 0 });
  e.ms += ms, e.calls++;
  for (const [k, v] of Object.entries(extra)) e[k] = (e[k] ?? 0) + v;
}
// native=1 (with @peft/blas): every call into the addon timed, by method, for each step — where a step's time goes
// without tf.profile, whose per-kernel times are not every kernel's own (it read the LM loss's kernels at 2–5× their
// time). Prints native_ms (the last step's, by method, and their total) beside the step's wall time; native=shapes also
// times sgemmBatched by product shape (`batch× m×k·k×n`, ᵀ marking a transposed operand) with its GFLOP/s, and the
// binary operations, strided copies and sums by shape (ops_by_shape). native=calls also keeps the rate of every call of
// each product shape over all the steps after the first (sgemm_calls): a shape's median rate, its slowest call, how
// many calls ran below 0.85× that median, and what the products would take a step at their shapes' median rates
// against what they took — whether a step's products are slow throughout or some of their calls are.
const keepCallRates = args.native === 'calls';
const byShape = args.native === 'shapes' || keepCallRates;
const nativeCalls = (args.native === '1' || byShape) && blas.available ? timeAddonCalls() : null;
function timeAddonCalls() {
  // the addon @peft/blas loaded (Node keeps one instance per file)
  const addon = createRequire(import.meta.url)('../../packages/blas/build/Release/peft_blas.node');
  let step = null;
  let steps = 0;
  const perCall = {}; // native=calls: product shape → [{ flop, ms }] over the steps after the first
  for (const name of Object.getOwnPropertyNames(addon)) {
    const f = addon[name];
    if (typeof f !== 'function') continue;
    addon[name] = (...a) => {
      const t = performance.now();
      try {
        return f.apply(addon, a);
      } finally {
        const ms = performance.now() - t;
        if (step) addCall(step, name, ms);
        if (step && name === 'sgemmBatched' && byShape) {
          const [, , , , , , batch, m, n, k, ta, tb] = a;
          const key = `${batch > 1 ? `${batch}× ` : ''}${m}×${k}${ta ? 'ᵀ' : ''} · ${k}×${n}${tb ? 'ᵀ' : ''}`;
          const flop = 2 * batch * m * n * k;
          addCall((step.shapes ??= {}), key, ms, { flop });
          if (keepCallRates && steps > 1) (perCall[key] ??= []).push({ flop, ms });
        }
        const opKey = step && byShape ? opShapeKey(name, a) : null;
        if (opKey) addCall((step.opShapes ??= {}), opKey, ms);
      }
    };
  }
  return { start: () => ((steps += 1), (step = {})), last: () => step, spread: () => (keepCallRates && steps > 1 ? callSpread(perCall, steps - 1) : null) };
}
// native=calls: each product shape's spread of rates over its calls, and the products' time a step, as measured and at
// each shape's median rate
function callSpread(perCall, steadySteps) {
  const gflops = ({ flop, ms }) => flop / ms / 1e6;
  const shapes = Object.entries(perCall).map(([key, list]) => {
    const rates = list.map(gflops);
    const mid = middleValue(rates);
    const ms = list.reduce((t, c) => t + c.ms, 0);
    const flop = list.reduce((t, c) => t + c.flop, 0);
    return { key, ms, atMedianMs: flop / mid / 1e6, row: { calls: list.length, median_gflops: +mid.toFixed(1), slowest_gflops: +Math.min(...rates).toFixed(1), below_085_median: rates.filter((r) => r < 0.85 * mid).length } };
  });
  shapes.sort((x, y) => y.ms - x.ms);
  const sum = (f) => shapes.reduce((t, x) => t + f(x), 0) / steadySteps;
  return {
    products_ms_per_step: +sum((x) => x.ms).toFixed(1),
    at_median_rates_ms_per_step: +sum((x) => x.atMedianMs).toFixed(1),
    by_shape: Object.fromEntries(shapes.map((x) => [x.key, x.row])),
  };
}
// native=shapes: the binary operations, strided copies and sums by shape (their arguments as addon.ts declares them)
function opShapeKey(name, a) {
  const bcast = (strides) => (strides.some((x) => x === 0) ? ' bcast' : '');
  if (name === 'binary') return `${'+-×÷'[a[0]]} [${a[7]}] a${bcast(a[8])} b${bcast(a[9])}`;
  if (name === 'stridedCopy') return `copy [${a[4]}] from strides ${a[5]} to ${a[6]}`;
  if (name === 'reduceSum') return `sum ${a[4]}×${a[5]} ${a[6] ? 'columns' : 'rows'}`;
  return null;
}
// kernels=1: every kernel the backend runs timed by name around its kernel function (wall clock, each call's own work
// plus its @peft/blas wrapper's or tfjs-wasm's JavaScript), printed as kernel_ms for the last step with their total:
// the step's wall time less that total is tfjs's engine (tape, bookkeeping, disposal) and the step's own JavaScript.
const kernelTimes = args.kernels === '1' ? timeKernels(choice.backend) : null;
function timeKernels(backend) {
  let step = null;
  for (const config of tf.getKernelsForBackend(backend)) {
    const f = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({ ...config, kernelFunc: (a) => {
      const t = performance.now();
      try {
        return f(a);
      } finally {
        if (step) addCall(step, config.kernelName, performance.now() - t);
      }
    } });
  }
  return { start: () => (step = {}), last: () => step };
}
const phases = []; // host steps: ms in the forward and backward passes, the clipping, the AdamW update, the finiteness probe
for (let step = 0; step < STEPS; step++) {
  const counter = step === 0 && cpuSide ? countMatmulFlops(choice.backend) : null;
  const work0 = gpuCounter?.read();
  tally?.reset();
  nativeCalls?.start();
  kernelTimes?.start();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ctx = trainingContext(0, step);
  const { value, grads } = (args.grads === 'tfjs' ? tf.variableGrads : leanVariableGrads)(() => {
    const { hidden } = model.forward({ inputIds: ids, ctx, checkpointBlocks: REMAT });
    return lmLoss(model, hidden, ids, { labelSmoothing: 0.1 });
  }, vars);
  const stepGrads = vars.map((v) => grads[v.name]);
  if (deviceStep) {
    const r = await deviceStep.run(stepGrads, value, 1.25e-3); // the loss, norm and weights' finiteness: one readback
    loss = r.loss;
    gradNorm = r.gradNorm;
    if (!r.applied || !r.weightsFinite) throw new Error(`step ${step}: not finite (loss ${loss}, norm ${gradNorm})`);
  } else {
    loss = (await value.data())[0]; // waits for the step's work: the GPU runs it asynchronously
    const t1 = performance.now();
    const clipped = await clipByGlobalNorm(stepGrads, 1.0);
    const t2 = performance.now();
    gradNorm = clipped.norm;
    opt.apply(clipped.grads, 1.25e-3);
    const t3 = performance.now();
    tf.dispose(clipped.grads);
    if (!(await tensorsFinite(vars))) throw new Error(`step ${step}: a weight is not finite after the update`);
    phases.push({ forward_backward: t1 - t0, clip: t2 - t1, update: t3 - t2, finite: performance.now() - t3 });
  }
  tf.dispose([value, ...Object.values(grads)]);
  times.push((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e6);
  if (counter) flops = counter.stop();
  if (gpuCounter) gpuWork.push(gpuCounter.since(work0));
}
gpuCounter?.stop();
tally?.print();
const steady = (times.length > 1 ? times.slice(1) : times).sort((a, b) => a - b);
// a bucket's entries (addCall), the slowest first, each as `row` makes it
const byMs = (bucket, row) => Object.fromEntries(Object.entries(bucket).sort((a, b) => b[1].ms - a[1].ms).map(([k, e]) => [k, row(e)]));
const calls = (e) => ({ ms: +e.ms.toFixed(1), calls: e.calls });
const nativeMs = ({ shapes, opShapes, ...by }) => ({
  total: +Object.values(by).reduce((t, e) => t + e.ms, 0).toFixed(1),
  ...byMs(by, calls),
  ...(shapes ? { sgemm_by_shape: byMs(shapes, (e) => ({ ...calls(e), gflops: +(e.flop / e.ms / 1e6).toFixed(1) })) } : {}),
  ...(opShapes ? { ops_by_shape: byMs(opShapes, calls) } : {}),
});
const callRates = nativeCalls?.spread();
console.log(JSON.stringify({
  median_s: steady[Math.floor(steady.length / 2)],
  steps_s: times,
  cpu_s: cpu,
  ...(nativeCalls ? { native_ms: nativeMs(nativeCalls.last()) } : {}),
  ...(callRates ? { sgemm_calls: callRates } : {}),
  ...(kernelTimes ? { kernel_ms: nativeMs(kernelTimes.last()) } : {}),
  ...(phases.length ? { phases_ms: Object.fromEntries(Object.keys(phases[0]).map((k) => [k, +middleValue((phases.length > 1 ? phases.slice(1) : phases).map((p) => p[k])).toFixed(1)])) } : {}),
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  // the wasm backend's heap: it grows to the step's peak and never shrinks
  ...(choice.backend === 'wasm' ? { wasm_heap_mb: tf.backend().wasm.HEAPU8.length / 2 ** 20 } : {}),
  backend: choice.backend,
  blas: blas.registered.length > 0,
  model: size,
  layers: model.config.nLayer,
  d: model.config.nEmbd,
  heads: model.config.nHead,
  batch: B,
  seq: T,
  gemm: blas.gemm ?? null,
  isa: blas.isa ?? null,
  remat: REMAT,
  without,
  notes: choice.notes ?? [],
  shape: { layers: model.config.nLayer, embd: model.config.nEmbd, heads: model.config.nHead, batch: B, seq: T },
  adapter: choice.device ? { name: choice.device.name, vendor: choice.device.vendor, software: choice.device.software } : null,
  trainable: tuned.trainableParameters().total,
  matmul_flops: flops,
  tensors: tf.memory().numTensors,
  loss,
  grad_norm: gradNorm,
  step: ON_DEVICE ? 'device' : 'host',
  ...(gpuCounter ? { gpu_work: gpuWork } : {}),
}));
process.exit(0);
