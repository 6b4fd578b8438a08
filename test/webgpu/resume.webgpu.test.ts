import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors } from '@peft/core';
import { describe, expect, it } from 'vitest';
import { underCi, webgpuOrSkip } from './backend.js';
import { haveSharedData } from '../shared-data.js';

// The acceptance check of docs/backends.md on WebGPU: `peft train` killed with kill -9 mid-run and rerun with --resume
// ends with the same checkpoint, adapter and task rows, byte for byte, as an uninterrupted run (WebGPU's kernels are
// deterministic: no atomics on this path). Small shapes, fixed padding: a software adapter compiles every new shape.
const gpu = await webgpuOrSkip(); // under CI=true a missing adapter fails here
const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'packages/recipes/dist/cli.js');
const tiny = join(root, 'test-fixtures/tiny-gpt2');
const env = { ...process.env, PEFT_BACKEND: 'webgpu' };

const args = (out: string): string[] => [
  cli, 'train', 'webnlg', '--model', tiny, '--out', out, '--max-train-examples', '24', '--max-valid-examples', '4',
  '--test-entries', '0', '--max-length', '64', '--max-steps', '9', '--batch-size', '4', '--lr', '2e-2', '--warmup', '2',
  '--checkpoint-every', '3', '--padding', 'global', '--patience', '0', '--seed', '7',
];

/** Steps logged so far in a run's train.jsonl. */
function loggedSteps(dir: string): number[] {
  const f = join(dir, 'train.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; step: number }).filter((l) => l.type === 'step').map((l) => l.step);
}

// it trains on WebNLG from ../shared/data (PEFT_DATA): off CI a clone with nothing beside it skips it
describe.runIf((gpu.ready || underCi) && haveSharedData('webnlg/webnlg_challenge_2017/train.json', 'webnlg/webnlg_challenge_2017/dev.json'))(`peft train on WebGPU (${gpu.adapter ?? 'no adapter'})`, () => {
  it('killed with kill -9 and rerun with --resume: the same checkpoint and adapter, byte for byte', async () => {
    expect(existsSync(cli), 'run npm run build first').toBe(true);
    const work = mkdtempSync(join(tmpdir(), 'peft-webgpu-resume-'));
    try {
      const a = spawnSync(process.execPath, args(join(work, 'a')), { encoding: 'utf8', cwd: work, env });
      expect(a.status, a.stderr.slice(-2000)).toBe(0);
      expect(a.stderr).toMatch(/^backend: webgpu \(@peft\/webgpu\)/m);
      const b = join(work, 'b');
      const child = spawn(process.execPath, args(b), { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (loggedSteps(`${b}.partial`).includes(5)) child.kill('SIGKILL');
        }, 50);
        child.on('exit', (_c, signal) => {
          clearInterval(poll);
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(`not killed: ${err.slice(-2000)}`));
        });
      });
      expect(existsSync(`${b}.partial`)).toBe(true);
      expect(existsSync(b)).toBe(false);
      const r = spawnSync(process.execPath, [...args(b), '--resume'], { encoding: 'utf8', cwd: work, env });
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      expect(r.stderr).toMatch(/resumed from step [36]\n/);
      const tensors = (f: string): Record<string, Buffer> => {
        const buf = readFileSync(f);
        const p = parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        return Object.fromEntries([...p.tensors].map(([k, e]) => [k, Buffer.from(e.data)]));
      };
      for (const f of ['checkpoint.safetensors', 'adapter/adapter_model.safetensors', 'adapter/task_embeddings.safetensors']) {
        const ta = tensors(join(work, 'a', f));
        const tb = tensors(join(b, f));
        expect(Object.keys(tb).sort()).toEqual(Object.keys(ta).sort());
        for (const k of Object.keys(ta)) expect(tb[k]!.equals(ta[k]!), `${f} ${k}`).toBe(true);
      }
      expect(loggedSteps(b)).toEqual(Array.from({ length: 9 }, (_, i) => i + 1));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
