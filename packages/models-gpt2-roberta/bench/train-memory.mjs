#!/usr/bin/env node
// One training step (forward + backward) of the GPT-2-small-shaped checkpoint with a trainable rank-8 hook on attn.q of
// every layer and the chunked LM loss over the full 50,257 vocabulary, with or without per-block gradient
// checkpointing. Prints the step time and tfjs' peak tensor bytes. Run each variant in its own process (a wasm heap
// overflow aborts the process):
//
//   node packages/models-gpt2-roberta/bench/train-memory.mjs --checkpoint 1 --batch 4 --seq 128
//   node packages/models-gpt2-roberta/bench/train-memory.mjs --checkpoint 0 --batch 4 --seq 128
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { ParameterSet, normal, selectBackend, trainingContext, zeros } from '@peft/core';
import { generateGpt2SmallShaped, lmLoss, loadGpt2 } from '@peft/models-gpt2-roberta';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const checkpoint = args.checkpoint !== '0';
const batch = Number(args.batch ?? 4);
const seq = Number(args.seq ?? 128);
const { backend } = await selectBackend({ only: [args.backend ?? 'wasm', 'cpu'] });
const dir = fileURLToPath(new URL('../../../test-fixtures/gpt2-small-shaped', import.meta.url));
if (!existsSync(`${dir}/model.safetensors`)) await generateGpt2SmallShaped(dir);
const model = await loadGpt2(dir);

const params = new ParameterSet();
const r = 8;
for (let l = 0; l < 12; l++) {
  params.create(`${l}.A`, [768, r], normal(0.02), 0);
  params.create(`${l}.B`, [r, 768], zeros, 0);
}
model.useMethod({
  method: { type: 'bench-lora', config: {}, claims: [], init: () => undefined, describe: () => 'bench-lora' },
  spec: model.spec,
  params,
  hooks: (l) => ({
    linear: {
      'attn.q': (x, y) => tf.add(y, tf.reshape(tf.matMul(tf.matMul(tf.reshape(x, [-1, 768]), params.get(`${l}.A`)), params.get(`${l}.B`)), y.shape)),
    },
  }),
  dispose: () => params.dispose(),
});
const ids = tf.tensor2d(Array.from({ length: batch }, (_, b) => Array.from({ length: seq }, (_, i) => (b * 131 + i * 7919) % 50257)), undefined, 'int32');
const step = () => {
  const { value, grads } = tf.variableGrads(
    () => lmLoss(model, model.forward({ inputIds: ids, ctx: trainingContext(1, 0), checkpointBlocks: checkpoint }).hidden, ids, { labelSmoothing: 0.1 }),
    params.variables(),
  );
  tf.dispose(Object.values(grads));
  return value;
};
const t0 = performance.now();
// --profile 0: time the step alone (no peak-memory figure); otherwise tf.profile records the peak tensor bytes
if (args.profile === '0') {
  const loss = step();
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${backend}, B=${batch}, T=${seq}, checkpointBlocks=${checkpoint}: step ${seconds.toFixed(1)} s, loss ${loss.dataSync()[0].toFixed(4)}`);
} else {
  const info = await tf.profile(step);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${backend}, B=${batch}, T=${seq}, checkpointBlocks=${checkpoint}: step ${seconds.toFixed(1)} s (under tf.profile), peak tensor memory ${(info.peakBytes / 2 ** 20).toFixed(0)} MiB`,
  );
}
