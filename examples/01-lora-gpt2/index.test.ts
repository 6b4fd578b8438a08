import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { main } from './index.js';

// test/setup.ts sets IS_TEST, which makes tfjs check every kernel for leaked data ids; under a gradient tape that check
// misfires on the wasm backend (which the example picks, as a user's run would). Leaks are checked by counting tensors.
tf.env().set('IS_TEST', false);

// tiny-gpt2: d 32, 2 layers, V 657, 128 positions, FFN 128.
const TINY_GPT2_PARAMETERS =
  657 * 32 + 128 * 32 + 2 * (2 * 32 + (32 * 96 + 96) + (32 * 32 + 32) + 2 * 32 + (32 * 128 + 128) + (128 * 32 + 32)) + 2 * 32; // 50,592

it('adds LoRA to GPT-2 with @peft/lora + @peft/models-gpt2-roberta: counts, exact no-op at start, trains', async () => {
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  const r = await main({ log: (l) => lines.push(l) });
  expect(tf.memory().numTensors).toBe(before); // the example frees everything it made
  // rank 4 on W_q and W_v of 2 layers: A [4, 32] + B [32, 4] per site
  expect(r.trainable).toBe(2 * 2 * (4 * 32 + 32 * 4));
  expect(r.percentOfBase).toBeCloseTo((100 * 1024) / TINY_GPT2_PARAMETERS, 10);
  expect(r.freshDelta).toBe(0); // B = 0: the logits are bit-for-bit the base model's
  expect(r.trainedDelta).toBeGreaterThan(1e-2);
  expect(r.loss[1]).toBeLessThan(r.loss[0] - 0.1);
  expect(lines[0]).toMatch(/LoRA adds 1024 trainable parameters \(2\.02 % of GPT-2\)/);
});
