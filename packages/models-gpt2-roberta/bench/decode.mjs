#!/usr/bin/env node
// Greedy decoding with and without the key/value cache: 40 new tokens after a 256-token context on a
// GPT-2-small-SHAPED random checkpoint (12 × 768, vocab 50,257; written to test-fixtures/gpt2-small-shaped/ on first
// use, ~500 MB, git-ignored). Uses the built packages: run `npm run build` (or tsup in core, attention-kernel and
// this package) first.
//
//   node packages/models-gpt2-roberta/bench/decode.mjs [--backend wasm|cpu|webgpu] [--context 256] [--new 40] [--reduced 1]
//
// wasm is used when it loads; otherwise cpu with a smaller model (4 × 256, same vocab), which the output says.
// --backend webgpu takes any adapter Dawn finds (a software one included) and reports it; --reduced 1 uses the smaller
// model there too (a software adapter binds at most 128 MiB per buffer: GPT-2 small's token table is 154 MB).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@peft/core';
import {
  GPT2_SMALL_CONFIG,
  generateGpt2SmallShaped,
  generateGreedy,
  loadGpt2,
  writeRandomGpt2Checkpoint,
  HF_INIT_VALUES,
} from '@peft/models-gpt2-roberta';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const context = Number(args.context ?? 256);
const newTokens = Number(args.new ?? 40);

const fixtures = fileURLToPath(new URL('../../../test-fixtures/', import.meta.url));
let backend;
let adapter = null;
try {
  const choice = await selectBackend({ only: [args.backend ?? 'wasm'] });
  backend = choice.backend;
  if (choice.device) adapter = { name: choice.device.name, vendor: choice.device.vendor, software: choice.device.software };
} catch (e) {
  console.log(`# ${args.backend ?? 'wasm'} did not load (${e.message.split('\n')[0]}); falling back to cpu`);
  backend = (await selectBackend({ only: ['cpu'] })).backend;
}

let dir;
let shape;
if (backend === 'cpu' || args.reduced === '1') {
  dir = `${fixtures}gpt2-small-shaped/cpu-4x256`; // inside the git-ignored folder
  shape = `GPT-2-shaped but SMALLER (for ${backend === 'cpu' ? 'the pure-JS cpu backend' : 'a reduced run'}): 4 layers × 256, 4 heads, vocab 50,257`;
  if (!existsSync(`${dir}/model.safetensors`)) {
    await writeRandomGpt2Checkpoint(dir, { ...GPT2_SMALL_CONFIG, n_layer: 4, n_embd: 256, n_head: 4 }, HF_INIT_VALUES);
  }
} else {
  dir = `${fixtures}gpt2-small-shaped`;
  shape = 'GPT-2-small-shaped: 12 layers × 768, 12 heads, vocab 50,257 (random N(0, 0.02) weights)';
  if (!existsSync(`${dir}/model.safetensors`)) {
    const t0 = performance.now();
    await generateGpt2SmallShaped(dir);
    console.log(`# wrote ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

const model = await loadGpt2(dir);
// a deterministic prompt of `context` ids
const prompt = Array.from({ length: context }, (_, i) => (i * 7919 + 13) % 50257);
const decode = (useCache, n) => generateGreedy(model, { inputIds: [prompt], maxNewTokens: n, useCache });

await decode(true, 2); // warm-up: kernels, the head's transposed table
await decode(false, 2);
const time = async (useCache) => {
  const t0 = performance.now();
  const out = await decode(useCache, newTokens);
  return { seconds: (performance.now() - t0) / 1000, tokens: out.tokens[0] };
};
const cached = await time(true);
const full = await time(false);
const same = cached.tokens.length === full.tokens.length && cached.tokens.every((t, i) => t === full.tokens[i]);

console.log(`backend: ${backend}${adapter ? ` on ${adapter.name}${adapter.software ? ' (a software adapter)' : ''}` : ''}`);
console.log(`model: ${shape}`);
console.log(`context ${context} tokens, ${newTokens} new tokens, batch 1`);
console.log(`with KV cache:        ${cached.seconds.toFixed(2)} s (${(cached.seconds / newTokens * 1000).toFixed(0)} ms/token)`);
console.log(`recompute every step: ${full.seconds.toFixed(2)} s (${(full.seconds / newTokens * 1000).toFixed(0)} ms/token)`);
console.log(`speed-up: ${(full.seconds / cached.seconds).toFixed(2)}x`);
console.log(`same tokens: ${same}`);
console.log(`tensors alive: ${tf.memory().numTensors}`);
model.dispose();
if (!same) process.exitCode = 1;
console.log(JSON.stringify({ backend, model: shape, context, new_tokens: newTokens, cached_s: cached.seconds, recompute_s: full.seconds, speedup: full.seconds / cached.seconds, same_tokens: same, adapter }));
