// Greedy decoding in @peft with its key/value cache, the task scripts/bench/pytorch_decode.py times for PyTorch: a
// GPT-2-shaped random checkpoint (small or medium), batch 1, a 256-token prompt, 40 new tokens; the prompt runs once,
// then one position per step against the cached keys and values (generateGreedy's default).
// Usage: node scripts/bench/peft-decode.mjs [backend=cpu] [blas=1] [model=small] [context=256] [new=40] [recompute=0]
//          [layers=…] [embd=…] [heads=…] (a smaller model, as peft-step.mjs: a software adapter cannot bind GPT-2 small's token table)
// Prints one JSON line: { seconds, tokens_per_s, prefill_s, per_token_ms, tokens, recompute_s?, same_tokens? }.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { generateGreedy, loadGpt2 } from '@peft/models-gpt2-roberta';
import { gpt2Fixture } from './fixtures.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const context = +(args.context ?? 256), newTokens = +(args.new ?? 40);
const choice = await selectBackend({ only: [args.backend ?? 'cpu'] });
const blas = args.blas === '0' ? { registered: [] } : registerBlasKernels({ backends: [choice.backend] });
const num = (k) => (args[k] === undefined ? undefined : +args[k]);
const model = await loadGpt2(await gpt2Fixture(args.model ?? 'small', { layers: num('layers'), embd: num('embd'), heads: num('heads') }));
const prompt = Array.from({ length: context }, (_, i) => (i * 7919 + 13) % 50257);
const decode = (n, useCache = true) => generateGreedy(model, { inputIds: [prompt], maxNewTokens: n, useCache });

await decode(2); // warm-up
let t0 = performance.now();
await decode(1); // the prefill and the first token
const prefill = (performance.now() - t0) / 1000;
t0 = performance.now();
const out = await decode(newTokens);
const seconds = (performance.now() - t0) / 1000;
const result = {
  seconds,
  tokens_per_s: newTokens / seconds,
  prefill_s: prefill,
  per_token_ms: ((seconds - prefill) / Math.max(1, newTokens - 1)) * 1000,
  context,
  new_tokens: newTokens,
  backend: choice.backend,
  adapter: choice.device ? { name: choice.device.name, vendor: choice.device.vendor, software: choice.device.software } : null,
  layers: model.config.nLayer,
  d: model.config.nEmbd,
  blas: blas.registered.length > 0,
  tokens: out.tokens[0],
  tensors: tf.memory().numTensors,
};
if (args.recompute === '1') {
  t0 = performance.now();
  const full = await decode(newTokens, false);
  result.recompute_s = (performance.now() - t0) / 1000;
  result.same_tokens = full.tokens[0].every((t, i) => t === out.tokens[0][i]);
}
console.log(JSON.stringify(result));
process.exit(0);
