import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it, onTestFinished } from 'vitest';
import { main, TINY_GPT2 } from './index.js';

// test/setup.ts sets IS_TEST, which makes tfjs check every kernel for leaked data ids; under a gradient tape that check
// misfires on the wasm backend (which the example picks, as a user's run would). Leaks are checked by counting tensors.
tf.env().set('IS_TEST', false);

it('trains, saves, reloads, merges and generates the same text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peft-example-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const before = tf.memory().numTensors;
  const r = await main({ adapterDir: join(dir, 'adapter'), log: () => {} });
  expect(tf.memory().numTensors - before).toBe(0); // training, saving, loading, merging and decoding leak nothing
  expect(r.texts.base).not.toBe(r.texts.trained);
  expect(r.texts.trained).toBe(' brown fox jumps over the lazy dog'); // the sentence it was taught, after the prompt
  expect(r.texts.reloaded).toBe(r.texts.trained);
  expect(r.tokens.merged).toEqual(r.tokens.reloaded);
  expect(r.texts.mergedPlain).toBe(r.texts.trained); // the merged weights alone, no method attached
  expect(r.mergeDelta).toBeLessThan(1e-4);
  // HF PEFT layout: LoRA on q and v of GPT-2's fused c_attn is one rank-16 LoRA per layer: A [16, 32], B [96, 16]
  const config = JSON.parse(readFileSync(join(r.adapterDir, 'adapter_config.json'), 'utf8'));
  expect(config.peft_type).toBe('LORA');
  expect(config.r).toBe(16);
  expect(config.fan_in_fan_out).toBe(true);
  const weightsBytes = r.files['adapter_model.safetensors']!;
  const header = Number(readFileSync(join(r.adapterDir, 'adapter_model.safetensors')).readBigUInt64LE(0));
  expect(weightsBytes).toBe(8 + header + 4 * 2 * (16 * 32 + 96 * 16)); // float32 factors only
  expect(weightsBytes).toBeLessThan(statSync(join(TINY_GPT2, 'model.safetensors')).size / 10); // never the base
});
