import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { underCi, webgpuOrSkip } from '../../../test/webgpu/backend.js';

// `PEFT_BACKEND=webgpu npm start` trains the demo along wasm's loss curve: the first 40 step losses of `peft demo`
// agree to 1e-5 relative (measured: ≤ 2e-7, one float32 ulp of the printed loss, on Mesa's llvmpipe), and so do the
// validation perplexity and the test scores. Float32 on both, other summation orders on the GPU.
const gpu = await webgpuOrSkip(); // under CI=true a missing adapter fails here
const cli = new URL('../../recipes/dist/cli.js', import.meta.url).pathname;
const STEPS = 40;

function demo(backend: string, work: string): { losses: number[]; metrics: Record<string, number> } {
  const out = join(work, backend);
  const r = spawnSync(process.execPath, [cli, 'demo', '--out', out, '--max-steps', String(STEPS)], {
    encoding: 'utf8', cwd: work, env: { ...process.env, PEFT_BACKEND: backend },
  });
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  expect(r.stderr).toMatch(new RegExp(`^backend: ${backend} `, 'm'));
  const losses = readFileSync(join(out, 'train.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; loss: number }).filter((l) => l.type === 'step').map((l) => l.loss);
  return { losses, metrics: JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, number> };
}

describe.skipIf(!gpu.ready && !underCi)(`the demo on WebGPU (${gpu.adapter ?? 'no adapter'})`, () => {
  it(`follows wasm's loss curve for ${STEPS} steps (1e-5 relative), with the same perplexity and scores`, () => {
    expect(existsSync(cli), 'run npm run build first').toBe(true);
    const work = mkdtempSync(join(tmpdir(), 'peft-demo-curve-'));
    try {
      const wasm = demo('wasm', work);
      const webgpu = demo('webgpu', work);
      expect(webgpu.losses.length).toBe(STEPS);
      const rel = webgpu.losses.map((l, i) => Math.abs(l - wasm.losses[i]!) / wasm.losses[i]!);
      process.stderr.write(`demo curve: largest relative difference ${Math.max(...rel).toExponential(2)} over ${STEPS} steps\n`);
      rel.forEach((r, i) => expect(r, `step ${i + 1}: webgpu ${webgpu.losses[i]} vs wasm ${wasm.losses[i]}`).toBeLessThanOrEqual(1e-5));
      expect(webgpu.losses[STEPS - 1]!).toBeLessThan(0.85 * webgpu.losses[0]!); // and it does learn
      const ppl = 'validation perplexity (last)';
      expect(Math.abs(webgpu.metrics[ppl]! - wasm.metrics[ppl]!) / wasm.metrics[ppl]!).toBeLessThanOrEqual(1e-4);
      for (const k of ['BLEU', 'METEOR', 'TER']) expect(webgpu.metrics[k], k).toBeCloseTo(wasm.metrics[k]!, 4);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
