#!/usr/bin/env node
// Checks that training works on the wasm backend (no UnsortedSegmentSum, no transposed matmul needed) and gives the
// numbers of the cpu backend: GPT-2 with a trainable hook, trainable added token rows, dropout and the chunked
// label-smoothed LM loss, with and without gradient checkpointing; RoBERTa with a trainable hook, its frozen head and the classification loss. Uses the built
// packages and the committed tiny fixtures.
//
//   node packages/models-gpt2-roberta/bench/wasm-check.mjs
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { fileURLToPath } from 'node:url';
import { ParameterSet, sinusoidal, trainingContext } from '@peft/core';
import { classificationLoss, lmLoss, loadGpt2, loadRoberta } from '@peft/models-gpt2-roberta';

const fixtures = fileURLToPath(new URL('../../../test-fixtures/', import.meta.url));

/** A method with one trainable d×d matrix added on attn.q of every layer. */
function qHook(spec, u) {
  const d = spec.hiddenSize;
  const params = new ParameterSet();
  params.addVariable('u', u);
  return {
    method: { type: 'q-hook', config: {}, claims: [], init: () => undefined, describe: () => 'q-hook' },
    spec,
    params,
    hooks: () => ({ linear: { 'attn.q': (x, y) => tf.add(y, tf.reshape(tf.matMul(tf.reshape(x, [-1, d]), u), y.shape)) } }),
    dispose: () => undefined,
  };
}

async function run(backend) {
  await tf.setBackend(backend);
  await tf.ready();
  const g = await loadGpt2(`${fixtures}tiny-gpt2`);
  g.addSpecialTokens(4, { seed: 1, trainable: true });
  const u = tf.variable(tf.tensor(sinusoidal(1, 0.05)([32, 32]), [32, 32]));
  g.useMethod(qHook(g.spec, u));
  const added = g.extraTrainables().get('wte.added_rows');
  const ids = tf.tensor2d([[657, 5, 17, 300, 42, 9], [12, 658, 3, 99, 7, 660]], undefined, 'int32');
  const labels = tf.tensor2d([[-100, 5, 17, 300, 42, 9], [-100, -100, 3, 99, 7, 660]], undefined, 'int32');
  const lm = tf.variableGrads(
    () => lmLoss(g, g.forward({ inputIds: ids, tokenTypeIds: ids, ctx: trainingContext(1, 1) }).hidden, labels, { labelSmoothing: 0.1, chunkRows: 4 }),
    [u, added],
  );
  const ckpt = tf.variableGrads(
    () =>
      lmLoss(g, g.forward({ inputIds: ids, tokenTypeIds: ids, ctx: trainingContext(1, 1), checkpointBlocks: true }).hidden, labels, {
        labelSmoothing: 0.1,
        chunkRows: 4,
      }),
    [u, added],
  );
  const r = await loadRoberta(`${fixtures}tiny-roberta`, { numLabels: 3 });
  r.useMethod(qHook(r.spec, u));
  const rIds = tf.tensor2d([[0, 31, 400, 2, 1]], undefined, 'int32');
  const rMask = tf.tensor2d([[1, 1, 1, 1, 0]], undefined, 'int32');
  const cls = tf.variableGrads(() => classificationLoss(r.classify(r.forward({ inputIds: rIds, attentionMask: rMask }).hidden), tf.tensor1d([2], 'int32')), [u]);
  return {
    lmLoss: lm.value.dataSync()[0],
    lmGradU: Array.from(lm.grads[u.name].dataSync()),
    lmGradRows: Array.from(lm.grads[added.name].dataSync()),
    ckptGradU: Array.from(ckpt.grads[u.name].dataSync()),
    clsLoss: cls.value.dataSync()[0],
    clsGradU: Array.from(cls.grads[u.name].dataSync()),
  };
}

const cpu = await run('cpu');
const wasm = await run('wasm');
const rel = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / (1e-3 + Math.abs(v))));
const rows = [
  ['GPT-2 LM loss', Math.abs(cpu.lmLoss - wasm.lmLoss)],
  ['GPT-2 grad of the hook (max rel. diff)', rel(cpu.lmGradU, wasm.lmGradU)],
  ['GPT-2 grad of the added rows (max rel. diff)', rel(cpu.lmGradRows, wasm.lmGradRows)],
  ['GPT-2 grad of the hook with checkpointBlocks on wasm vs plain on cpu', rel(cpu.lmGradU, wasm.ckptGradU)],
  ['RoBERTa loss', Math.abs(cpu.clsLoss - wasm.clsLoss)],
  ['RoBERTa grad of the hook (max rel. diff)', rel(cpu.clsGradU, wasm.clsGradU)],
];
for (const [name, diff] of rows) console.log(`${name}: cpu vs wasm ${diff.toExponential(2)}`);
if (rows.some(([, d]) => !(d < 1e-3))) process.exitCode = 1;
