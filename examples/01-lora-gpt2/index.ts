// Example 1: LoRA on GPT-2 with two @peft packages (plus tfjs-core and a backend).
//   npx tsx examples/01-lora-gpt2/index.ts [checkpoint-dir]
// @peft/core comes in as a dependency of both; `attach` and `selectBackend` live there.
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { attach, selectBackend } from '@peft/core';
import { lora } from '@peft/lora';
import { lmLoss, loadGpt2, loadGpt2Tokenizer } from '@peft/models-gpt2-roberta';

export interface LoraGpt2Result {
  readonly backend: string;
  readonly trainable: number;
  readonly percentOfBase: number;
  /** Largest |logit difference| between the base model and the model with a fresh LoRA (0: LoRA starts as a no-op). */
  readonly freshDelta: number;
  /** The same after five Adam steps on the LoRA factors (> 0: LoRA now changes the model). */
  readonly trainedDelta: number;
  readonly loss: readonly [number, number];
}

/** The tiny GPT-2 checkpoint shipped with the repository (Hugging Face layout: config.json + model.safetensors). */
export const TINY_GPT2 = fileURLToPath(new URL('../../test-fixtures/tiny-gpt2', import.meta.url));

export async function main(options: { modelDir?: string; log?: (line: string) => void } = {}): Promise<LoraGpt2Result> {
  const log = options.log ?? console.log;
  const { backend } = await selectBackend(); // the fastest installed backend: tfjs-node-gpu, tfjs-node, wasm, cpu
  const dir = options.modelDir ?? TINY_GPT2;
  const model = await loadGpt2(dir);
  const tokenizer = await loadGpt2Tokenizer(dir);

  // LoRA on the query and value projections: y = x·W + (x·Aᵀ·Bᵀ)·α/r, with B = 0 at the start.
  const tuned = attach(model, lora({ sites: ['attn.q', 'attn.v'], rank: 4, alpha: 8 }), { seed: 1 });
  const { total, percentOfBase } = tuned.trainableParameters();
  log(`backend ${backend}; LoRA adds ${total} trainable parameters (${percentOfBase.toFixed(2)} % of GPT-2)`);

  const ids = tokenizer.encode('the quick brown fox jumps over the lazy dog');
  const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32'); // [1, n]
  const logits = (): tf.Tensor => tf.tidy(() => model.logits(model.forward({ inputIds }).hidden)); // [1, n, V]
  // position t predicts token t + 1; the model package computes the shifted loss with its tied head
  const loss = (): tf.Scalar => tf.tidy(() => lmLoss(model, model.forward({ inputIds }).hidden, inputIds));

  // 1. A fresh LoRA is an exact no-op (B = 0): the logits equal the base model's.
  model.useMethod(null);
  const base = logits();
  model.useMethod(tuned.instance);
  const maxDiff = (): number => tf.tidy(() => tf.max(tf.abs(tf.sub(logits(), base))).dataSync()[0]!);
  const freshDelta = maxDiff();

  // 2. A few Adam steps on the LoRA variables only (the frozen GPT-2 weights are not variables at all).
  const optimizer = tf.train.adam(1e-2);
  const lossAt = (): number => tf.tidy(() => loss().dataSync()[0]!);
  const before = lossAt();
  for (let step = 0; step < 5; step++) optimizer.minimize(loss, false, tuned.trainableVariables());
  optimizer.dispose();
  const after = lossAt();
  const trainedDelta = maxDiff();
  log(`a fresh LoRA changes the logits by ${freshDelta}; after 5 steps by ${trainedDelta.toExponential(2)}`);
  log(`LM loss on the sentence: ${before.toFixed(4)} → ${after.toFixed(4)}`);

  tf.dispose([base, inputIds]);
  tuned.dispose();
  model.dispose();
  return { backend, trainable: total, percentOfBase, freshDelta, trainedDelta, loss: [before, after] };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main({ modelDir: process.argv[2] });
