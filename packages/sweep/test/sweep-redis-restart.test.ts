// Redis killed and started again in the middle of a sweep, with persistence (an append-only file) and without: every
// job finishes exactly once with the result of an uninterrupted run, and `peft sweep status` says what is true.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { planSweep, trainArgs, type SweepJob } from '../src/plan.js';
import { openQueue } from '../src/queue.js';
import { lastStepRecord } from '../src/run-log.js';
import { readSweepFile } from '../src/sweep-file.js';
import { cli, env, haveRedis, inCi, peft, startRedis, startWorker, until, writeSst2, type RedisServer, type Running } from './harness.js';

const tinyRoberta = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));
if (!haveRedis && !inCi) process.stderr.write('sweep-redis-restart.test.ts skipped: redis-server is not installed\n');

function reference(job: SweepJob, root: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...trainArgs(job, root)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code, stderr: err }));
  });
}

describe.runIf(haveRedis || inCi)('Redis killed and restarted mid-sweep', () => {
  const work = mkdtempSync(join(tmpdir(), 'peft-sweep-restart-'));
  const servers: RedisServer[] = [];
  const workers: Running[] = [];
  afterAll(async () => {
    for (const w of workers) w.proc.kill('SIGKILL');
    for (const s of servers) await s.kill();
    rmSync(work, { recursive: true, force: true });
  });

  for (const persist of [true, false]) {
    it(`${persist ? 'with' : 'without'} persistence: each job finishes once, identical to an uninterrupted run`, async () => {
      expect(haveRedis, 'redis-server is not installed (CI=true: .ci/run must install it)').toBe(true);
      const dir = join(work, persist ? 'aof' : 'none');
      const redis = await startRedis(join(dir, 'redis'), persist);
      servers.push(redis);
      writeSst2(join(dir, 'data'));
      const sweepFile = join(dir, 'sweep.json');
      writeFileSync(sweepFile, JSON.stringify({
        name: `restart-${persist ? 'aof' : 'none'}`, out: 'runs', model: tinyRoberta, data: 'data',
        tasks: { sst2: { presets: ['nlu-inducer-lora'], seeds: [1, 2] } },
        train: { 'max-steps': 120, epochs: 20, 'batch-size': 4, 'checkpoint-every': 10, padding: 'batch' },
      }));
      const jobs = planSweep(readSweepFile(sweepFile));
      const queue = `restart-${process.pid}`;
      const logs = (): string => workers.map((w) => w.lines.join('\n')).join('\n---\n');
      expect(peft('sweep', 'run', sweepFile, '--redis', redis.url, '--queue', queue).code).toBe(0);
      const w = startWorker(persist ? 'P' : 'N', redis.url, queue, ['--concurrency', '2', '--give-up-after', '60000']);
      workers.push(w);
      // both runs past a checkpoint, then Redis goes away for 2 s
      await until('both runs past step 20', () => jobs.every((j) => (lastStepRecord(join(dir, 'runs', `${j.run}.partial`, 'train.jsonl'))?.step ?? 0) >= 20), 120_000, logs);
      await redis.kill();
      await new Promise((r) => setTimeout(r, 2000));
      await redis.restart();
      if (!persist) {
        // the queue is gone with the server's memory: status says so, and `sweep run` puts the jobs back
        const status = peft('sweep', 'status', sweepFile, '--redis', redis.url, '--queue', queue);
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toMatch(/2 not queued/);
        expect(status.stdout).toMatch(/none of this sweep's jobs is in queue/);
        const again = peft('sweep', 'run', sweepFile, '--redis', redis.url, '--queue', queue);
        expect(again.code, again.stderr).toBe(0);
      }
      const q = openQueue(redis.url, queue);
      try {
        await until('both jobs to complete', async () => {
          const states = await Promise.all(jobs.map(async (j) => (await q.getJob(j.id))?.getState()));
          return states.every((s) => s === 'completed' || s === 'failed');
        }, 240_000, logs);
        for (const j of jobs) expect(await (await q.getJob(j.id))!.getState(), logs()).toBe('completed');
      } finally {
        await q.close();
      }
      // status: what is true
      const status = peft('sweep', 'status', sweepFile, '--redis', redis.url, '--queue', queue);
      expect(status.stdout).toMatch(/2 completed$/m);
      // exactly once: one finished folder per job, no partial left; each as an uninterrupted run
      expect(readdirSync(join(dir, 'runs')).sort()).toEqual(jobs.map((j) => j.run).sort());
      const refs = await Promise.all(jobs.map((j) => reference(j, join(dir, 'reference'))));
      for (const [i, j] of jobs.entries()) {
        expect(refs[i]!.code, refs[i]!.stderr).toBe(0);
        for (const f of ['adapter/adapter_model.safetensors', 'checkpoint.safetensors', 'metrics.json']) {
          expect(readFileSync(join(dir, 'runs', j.run, f)).equals(readFileSync(join(dir, 'reference', j.run, f))), `${j.run}/${f}\n${logs()}`).toBe(true);
        }
        expect(existsSync(join(dir, 'runs', `${j.run}.partial`))).toBe(false);
      }
      w.proc.kill('SIGTERM');
      process.stderr.write(`--- restart ${persist ? 'with' : 'without'} persistence, worker log:\n${w.lines.join('\n')}\n`);
    }, 400_000);
  }
});
