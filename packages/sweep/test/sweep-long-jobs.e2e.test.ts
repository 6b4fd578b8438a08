// Issue 24's acceptance for the thread storm: a sweep of 4 jobs × 400 steps with 2 workers on the tiny GPT-2 finishes,
// and every job's `peft train` child keeps ≤ 40 threads and ≤ 1 GB resident for its whole run (sampled from /proc).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planSweep } from '../src/plan.js';
import { openQueue } from '../src/queue.js';
import { readSweepFile } from '../src/sweep-file.js';
import { SHARED_DATA } from '../../../test/shared-data.js';
import { cli, haveRedis, inCi, peft, sampleJobs, startRedis, startWorker, sweepWorkspace, threadGrowth, until } from './harness.js';

const tinyGpt2 = fileURLToPath(new URL('../../../test-fixtures/tiny-gpt2', import.meta.url));
const data = SHARED_DATA; // $PEFT_DATA, else ../shared/data
const haveData = existsSync(join(data, 'webnlg', 'webnlg_challenge_2017', 'train.json'));
if (!(haveRedis && haveData) && !inCi) process.stderr.write(`sweep-long-jobs.e2e.test.ts skipped: needs redis-server and WebNLG under ${data} (PEFT_DATA)\n`);

describe.runIf((haveRedis && haveData) || inCi)('4 jobs × 400 steps with 2 workers (tiny GPT-2, WebNLG)', () => {
  const ws = sweepWorkspace('peft-sweep-long-jobs-');
  const { work, workers } = ws;

  it('every job finishes 400 steps with ≤ 40 threads and ≤ 1 GB RSS', async () => {
    expect(haveRedis, 'redis-server is not installed').toBe(true);
    expect(haveData, `no WebNLG under ${data} (set PEFT_DATA)`).toBe(true);
    expect(existsSync(cli), 'build first (npm run build)').toBe(true);
    const redis = (ws.redis = await startRedis(join(work, 'redis')));
    const sweepFile = join(work, 'acceptance.json');
    writeFileSync(sweepFile, JSON.stringify({
      name: 'acceptance', out: 'runs', model: tinyGpt2, data,
      tasks: { webnlg: { presets: ['inducer-lora', 'lora-54'], seeds: [1, 2] } },
      train: { 'max-steps': 400, 'batch-size': 2, accum: 1, 'max-train-examples': 800, 'max-valid-examples': 8, 'test-entries': 0, 'checkpoint-every': 100, padding: 'batch' },
    }));
    const jobs = planSweep(readSweepFile(sweepFile));
    expect(jobs).toHaveLength(4);
    const queue = `acceptance-${process.pid}`;
    const run = peft('sweep', 'run', sweepFile, '--redis', redis.url, '--queue', queue);
    expect(run.code, run.stderr).toBe(0);
    workers.push(startWorker('A', redis.url, queue, ['--lock-duration', '30000']), startWorker('B', redis.url, queue, ['--lock-duration', '30000']));
    const sampler = sampleJobs(workers, 250); // ≥ 20 samples in a job of ≥ 5 s: a tiny 400-step job on an idle machine takes ~10 s
    const logs = (): string => workers.map((w) => w.lines.join('\n')).join('\n');
    const t0 = Date.now();
    await until('all 4 jobs to finish', () => jobs.every((j) => workers.some((w) => w.lines.some((l) => l.includes(`: done ${j.id} `)))) || workers.some((w) => w.lines.some((l) => l.includes(': failed '))), 840_000, logs);
    const peaks = sampler.stop();
    const q = openQueue(redis.url, queue);
    try {
      for (const j of jobs) {
        const p = peaks.get(j.id);
        process.stderr.write(`${j.run}: ${p?.series.length} samples, threads ≤ ${p?.threads} (growth ${p ? threadGrowth(p.series) : '?'}), RSS ≤ ${((p?.rss ?? 0) / 2 ** 20).toFixed(0)} MiB\n`);
        expect((await q.getJob(j.id))!.returnvalue.steps, logs()).toBe(400);
        expect(p!.series.length).toBeGreaterThanOrEqual(20);
        expect(p!.threads).toBeLessThanOrEqual(40);
        expect(p!.rss).toBeLessThanOrEqual(2 ** 30);
      }
    } finally {
      await q.close();
    }
    process.stderr.write(`4 jobs × 400 steps, 2 workers: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }, 900_000);
});
