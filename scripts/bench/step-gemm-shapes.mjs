// Every matrix product of one GPT-2-small-shaped training step (as scripts/bench/peft-step.mjs runs it, wasm +
// @peft/blas), each run by the own GEMM and by the system BLAS one after the other on the same operands (the order
// alternating call by call for each shape), timed per call and summed by shape: where the own GEMM gains or loses within the step.
// Usage: node scripts/bench/step-gemm-shapes.mjs [layers=2] [batch=8] [seq=128] [steps=2] [remat=layers] [threads=1]
//        [against=path/to/another/peft_blas.node] [--json]
// against= compares the own GEMM of this build with the own GEMM of another build of the addon (a copy of
// build/Release/peft_blas.node from another commit, loaded beside this one) instead of the system BLAS: the same
// products, in the step, on the same operands.
// threads=1 runs every product on one thread and times it in CPU time, which other processes on a busy machine barely
// disturb; otherwise the addon's threads and the wall clock.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { attach, selectBackend, trainingContext } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { getPreset } from '@peft/mam';
import { GPT2_SMALL_CONFIG, lmLoss, loadGpt2, writeRandomGpt2Checkpoint } from '@peft/models-gpt2-roberta';

const args = Object.fromEntries(process.argv.slice(2).filter((a) => a.includes('=')).map((a) => a.split('=')));
const LAYERS = +(args.layers ?? 2), B = +(args.batch ?? 8), T = +(args.seq ?? 128), STEPS = +(args.steps ?? 2);
const REMAT = +(args.remat ?? LAYERS);
const dir = new URL(`../../test-fixtures/gpt2-small-shaped${LAYERS === 12 ? '' : `-${LAYERS}l`}`, import.meta.url).pathname;

const choice = await selectBackend({ only: ['wasm'] });
const THREADS = args.threads ? +args.threads : undefined;
const status = registerBlasKernels({ backends: [choice.backend], ...(THREADS ? { threads: THREADS } : {}) });
const clock = THREADS === 1
  ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }
  : () => Number(process.hrtime.bigint()) / 1e9;
// the other side: the system BLAS of this build, or another build's own GEMM
const other = args.against ? createRequire(import.meta.url)(new URL(args.against, `file://${process.cwd()}/`).pathname) : null;
if (other) {
  other.setThreads(+(status.config?.match(/threads=(\d+)/)?.[1] ?? THREADS ?? 1));
  other.selectKernels('own', 'auto'); // a build loaded raw starts on its system BLAS where it has one
}
const otherName = other ? `own (${args.against})` : status.systemGemm;
if (!status.available || (!other && !status.systemGemm)) {
  console.error(`needs @peft/blas built with a system BLAS beside its own GEMM (${status.reason ?? status.config})`);
  process.exit(1);
}
// the addon object @peft/blas loaded (Node caches a native module's exports): wrap its GEMM entry
const addon = createRequire(import.meta.url)('../../packages/blas/build/Release/peft_blas.node');
const gemm = addon.sgemmBatched;
const byShape = new Map();
addon.sgemmBatched = (...a) => {
  const [batch, m, n, k, ta, tb] = a.slice(6, 12);
  const key = `${batch > 1 ? `${batch}× ` : ''}${m}×${k}${ta ? 'ᵀ' : ''} · ${k}×${n}${tb ? 'ᵀ' : ''}`;
  const row = byShape.get(key) ?? { shape: key, calls: 0, flops: 0, own_s: 0, system_s: 0 };
  // alternating per shape (a global alternation lands a shape on the same parity every layer): the second run
  // finds the operands in cache
  const sides = row.calls % 2 ? ['own', 'system'] : ['system', 'own'];
  for (const side of sides) {
    if (!other) addon.selectKernels(side, 'auto');
    const t0 = clock();
    if (other && side === 'system') other.sgemmBatched(...a);
    else gemm(...a);
    row[`${side}_s`] += clock() - t0;
  }
  row.calls++;
  row.flops += 2 * batch * m * n * k;
  byShape.set(key, row);
};

if (!existsSync(`${dir}/model.safetensors`)) await writeRandomGpt2Checkpoint(dir, { ...GPT2_SMALL_CONFIG, n_layer: LAYERS });
const model = await loadGpt2(dir);
const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
const vars = tuned.instance.params.entries().map(([, v]) => v);
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % model.vocabSize;
const ids = tf.tensor2d(Array.from({ length: B }, () => Array.from({ length: T }, rnd)), [B, T], 'int32');
for (let step = 0; step < STEPS; step++) {
  if (step === 1) byShape.clear(); // the first step warms up
  const { value, grads } = tf.variableGrads(() => {
    const { hidden } = model.forward({ inputIds: ids, ctx: trainingContext(0, step), checkpointBlocks: REMAT });
    return lmLoss(model, hidden, ids, { labelSmoothing: 0.1 });
  }, vars);
  tf.dispose([value, ...Object.values(grads)]);
}
const rows = [...byShape.values()].sort((x, y) => y.system_s - x.system_s);
const total = rows.reduce((t, r) => ({ own_s: t.own_s + r.own_s, system_s: t.system_s + r.system_s }), { own_s: 0, system_s: 0 });
const table = rows.map((r) => ({
  shape: r.shape,
  calls: r.calls,
  [`${otherName} ms`]: +(r.system_s * 1e3).toFixed(1),
  'own ms': +(r.own_s * 1e3).toFixed(1),
  [other ? 'own/other time' : 'own/system time']: +(r.own_s / r.system_s).toFixed(2),
  [`${otherName} GFLOP/s`]: +(r.flops / r.system_s / 1e9).toFixed(1),
  'own GFLOP/s': +(r.flops / r.own_s / 1e9).toFixed(1),
}));
const how = THREADS === 1 ? 'one thread, CPU time' : `${status.config?.match(/threads=\d+/)?.[0] ?? ''}, wall clock`;
if (process.argv.includes('--json')) console.log(JSON.stringify({ layers: LAYERS, steps: STEPS - 1, clock: how, total, rows: table }));
else {
  console.log(`products of ${STEPS - 1} step(s), ${LAYERS} layers, B ${B} × T ${T} (${how}): ${otherName} ${(total.system_s).toFixed(2)} s, own ${(total.own_s).toFixed(2)} s (own/other ${(total.own_s / total.system_s).toFixed(2)}×)`);
  console.table(table);
}
