// Peak RSS and wall time of loading a GPT-2 checkpoint (the bench's random small/medium fixtures) on wasm + @peft/blas:
// what reading the safetensors data tensor by tensor saves over reading each file whole.
// Usage: node scripts/bench/load-peak.mjs [small|medium]
import { selectBackend } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { loadGpt2 } from '@peft/models-gpt2-roberta';
import { gpt2Fixture } from './fixtures.mjs';
const dir = await gpt2Fixture(process.argv[2] ?? 'medium');
await selectBackend({ only: ['wasm'] });
registerBlasKernels({ backends: ['wasm'] });
const t0 = performance.now();
const m = await loadGpt2(dir);
console.log(process.argv[2], 'load', ((performance.now() - t0) / 1000).toFixed(1), 's, peak RSS', (process.resourceUsage().maxRSS / 1024).toFixed(0), 'MB');
