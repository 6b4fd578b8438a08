// The training page's training in Node (cpu backend, test/setup.ts): what the page runs on WebGPU or WebGL, checked
// here without a browser. browser/train.e2e.test.ts drives the page itself.
import * as tf from '@tensorflow/tfjs-core';
import { lmLoss, loadGpt2, loadGpt2Tokenizer } from '@peft/models-gpt2-roberta';
import { expect, it } from 'vitest';
import { SENTENCE, TINY_GPT2 } from '../04-save-load-merge-generate/index.js';
import { PAGE_LORA, fineTune } from './fine-tune.js';

tf.env().set('IS_TEST', false); // see examples/04-save-load-merge-generate/index.test.ts

const SETTINGS = { ...PAGE_LORA, lines: [SENTENCE], steps: 8, lr: 0.02 };

it('trains LoRA with the recipes loop: step 1 scores the base model, the loss falls every step, a rerun repeats it', async () => {
  const [model, tokenizer] = await Promise.all([loadGpt2(TINY_GPT2), loadGpt2Tokenizer(TINY_GPT2)]);
  const ids = tokenizer.encode(SENTENCE);
  // A fresh LoRA adds 0 (B = 0), so the first step's loss is the base model's loss on the sentence.
  const baseLoss = tf.tidy(() => {
    const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
    return lmLoss(model, model.forward({ inputIds }).hidden, inputIds).dataSync()[0]!;
  });
  const seen: number[] = [];
  const first = await fineTune(model, tokenizer, {
    ...SETTINGS,
    onStep: async (log) => {
      await new Promise((resolve) => setTimeout(resolve, 1)); // awaited before the next step
      seen.push(log.step);
    },
  });
  expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(first.losses).toHaveLength(8);
  expect(first.losses[0]).toBeCloseTo(baseLoss, 5);
  for (let i = 1; i < first.losses.length; i++) expect(first.losses[i]).toBeLessThan(first.losses[i - 1]!);
  expect(first.losses.at(-1)!).toBeLessThan(0.8 * first.losses[0]!);
  expect(first.tuned.trainableParameters().total).toBe(2 * 2 * 8 * (32 + 32)); // 2 layers × (q, v) × r(d_in + d_out)
  first.tuned.dispose();

  // (the first backward pass made the model's transposed kernels, which it keeps until it is disposed)
  const before = tf.memory().numTensors;
  const again = await fineTune(model, tokenizer, SETTINGS);
  expect(again.losses).toEqual(first.losses); // same seed, no dropout: the same run
  again.tuned.dispose();
  expect(tf.memory().numTensors).toBe(before); // the loop, its optimizer and the adapter leave nothing behind
  model.dispose();
}, 120_000);

it('pads lines of different lengths, and says which line or setting cannot be used', async () => {
  const [model, tokenizer] = await Promise.all([loadGpt2(TINY_GPT2), loadGpt2Tokenizer(TINY_GPT2)]);
  const lines = [SENTENCE, 'the lazy dog'];
  // Step 1 (B = 0: the base model) over the padded batch = the token-weighted mean of each line's loss on its own.
  const perLine = lines.map((line) => {
    const ids = tokenizer.encode(line);
    const loss = tf.tidy(() => {
      const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
      return lmLoss(model, model.forward({ inputIds }).hidden, inputIds).dataSync()[0]!;
    });
    return { sum: loss * (ids.length - 1), count: ids.length - 1 };
  });
  const unpadded = perLine.reduce((a, l) => a + l.sum, 0) / perLine.reduce((a, l) => a + l.count, 0);
  const { tuned, losses } = await fineTune(model, tokenizer, { ...SETTINGS, lines: [lines[0]!, '', ` ${lines[1]} `], steps: 2 });
  expect(losses[0]).toBeCloseTo(unpadded, 5); // blank lines skipped, lines trimmed, padding never scored
  expect(losses[1]).toBeLessThan(losses[0]!);
  tuned.dispose();
  const before = tf.memory().numTensors;
  await expect(fineTune(model, tokenizer, { ...SETTINGS, lines: ['', '  '] })).rejects.toThrow('every line of the text is blank');
  await expect(fineTune(model, tokenizer, { ...SETTINGS, lines: [SENTENCE, 'a'] })).rejects.toThrow('line 2 is a single token');
  await expect(fineTune(model, tokenizer, { ...SETTINGS, steps: 2.5 })).rejects.toThrow('steps must be a whole number ≥ 1, got 2.5');
  await expect(fineTune(model, tokenizer, { ...SETTINGS, lr: 0 })).rejects.toThrow('the learning rate must be a positive number, got 0');
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
}, 120_000);
