// What a training step's tape keeps for the backward pass, by the kernel that saved it: one GPT-2-shaped forward pass
// under variableGrads, then the unique data buffers the tape's nodes hold (saved tensors and kept inputs), summed.
// Usage: node scripts/bench/tape-memory.mjs [backend=wasm] [layers=2] [batch=8] [seq=128] [remat=0] [top=25]
import * as tf from '@tensorflow/tfjs-core';
import { attach, selectBackend, trainingContext } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { getPreset } from '@peft/mam';
import { lmLoss, loadGpt2 } from '@peft/models-gpt2-roberta';
import { gpt2Fixture } from './fixtures.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const B = +(args.batch ?? 8), T = +(args.seq ?? 128), LAYERS = +(args.layers ?? 2);
const choice = await selectBackend({ only: [args.backend ?? 'wasm'] });
if (args.blas !== '0') registerBlasKernels({ backends: [choice.backend] });
const model = await loadGpt2(await gpt2Fixture(args.model ?? 'small', LAYERS));
const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
const ids = tf.randomUniform([B, T], 0, model.vocabSize, 'int32');
const engine = tf.engine();
let report = null;
const { value, grads } = tf.variableGrads(() => {
  const { hidden } = model.forward({ inputIds: ids, ctx: trainingContext(0, 0), checkpointBlocks: +(args.remat ?? 0) });
  const loss = lmLoss(model, hidden, ids, { labelSmoothing: 0.1 });
  const seen = new Set();
  const by = new Map();
  let total = 0;
  for (const node of engine.state.activeTape) {
    for (const t of [...(node.saved ?? [])]) {
      if (!t || t.isDisposed || seen.has(t.dataId)) continue;
      seen.add(t.dataId);
      const bytes = t.size * 4;
      total += bytes;
      const key = `${node.kernelName} [${t.shape}]`;
      const e = by.get(key) ?? { bytes: 0, n: 0 };
      e.bytes += bytes;
      e.n++;
      by.set(key, e);
    }
  }
  report = { total, rows: [...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, +(args.top ?? 25)).map(([k, e]) => ({ saved: k.slice(0, 70), n: e.n, MB: +(e.bytes / 2 ** 20).toFixed(1) })) };
  return loss;
}, tuned.trainableVariables());
console.log(`tape keeps ${(report.total / 2 ** 20).toFixed(0)} MB over ${LAYERS} blocks (remat ${args.remat ?? 0}); live tensors ${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MB after the step`);
console.table(report.rows);
tf.dispose([value, ...Object.values(grads)]);
process.exit(0);
