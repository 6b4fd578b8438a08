// A long sweep job (300 optimizer steps) on a real queue: the `peft train` child a worker starts (with the
// exit-with-parent preload) keeps a bounded number of threads and bounded memory for its whole run. Before the fix the
// preload's watcher thread loaded the preload again, and so on (~17 threads/s, 1,071 threads and 6.8 GB in 2 minutes).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planSweep } from '../src/plan.js';
import { openQueue } from '../src/queue.js';
import { readSweepFile } from '../src/sweep-file.js';
import { cli, haveRedis, inCi, peft, sampleJobs, startRedis, startWorker, sweepWorkspace, threadGrowth, until, writeSst2 } from './harness.js';

const tinyRoberta = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));
if (!haveRedis && !inCi) process.stderr.write('sweep-long-job.test.ts skipped: redis-server is not installed\n');

describe.runIf(haveRedis || inCi)('a long sweep job', () => {
  const ws = sweepWorkspace('peft-sweep-long-');
  const { work, workers } = ws;

  it('300 steps: the job keeps ≤ 40 threads, its thread count does not grow, and RSS stays ≤ 1 GB', async () => {
    expect(haveRedis, 'redis-server is not installed (CI=true: .ci/run must install it)').toBe(true);
    expect(existsSync(cli), 'build @peft/recipes first (npm run build)').toBe(true);
    const redis = (ws.redis = await startRedis(join(work, 'redis')));
    writeSst2(join(work, 'data'));
    const sweepFile = join(work, 'long.json');
    writeFileSync(sweepFile, JSON.stringify({
      name: 'long', out: 'runs', model: tinyRoberta, data: 'data',
      tasks: { sst2: { presets: ['nlu-inducer-lora'], seeds: [1] } },
      train: { 'max-steps': 300, epochs: 30, 'batch-size': 4, 'checkpoint-every': 50, padding: 'batch' },
    }));
    const [job] = planSweep(readSweepFile(sweepFile));
    const queue = `long-${process.pid}`;
    const run = peft('sweep', 'run', sweepFile, '--redis', redis.url, '--queue', queue);
    expect(run.code, run.stderr).toBe(0);
    workers.push(startWorker('W', redis.url, queue));
    const sampler = sampleJobs(workers, 200);
    const logs = (): string => workers[0]!.lines.join('\n');
    // the child runs with the preload (a build that lost dist/exit-with-parent.cjs would leave orphans and pass)
    const started = await until('the job to start', () => workers[0]!.lines.map((l) => /: start \S+ \(attempt \d+, pid (\d+)\)/.exec(l)).find(Boolean), 60_000, logs);
    const cmdline = readFileSync(`/proc/${started[1]}/cmdline`, 'utf8').split('\0');
    expect(cmdline[1]).toBe('--require');
    expect(cmdline[2]).toMatch(/sweep\/dist\/exit-with-parent\.cjs$/);
    await until('the job to finish', () => workers[0]!.lines.some((l) => l.includes(`: done ${job!.id} `)) || workers[0]!.lines.some((l) => l.includes(': failed ')), 240_000, logs);
    const peak = sampler.stop().get(job!.id);
    expect(workers[0]!.lines.some((l) => l.includes(`W: done ${job!.id} (300 steps)`)), logs()).toBe(true);
    process.stderr.write(`long job: ${peak?.series.length} samples, threads at most ${peak?.threads} (growth ${threadGrowth(peak!.series)}); RSS at most ${((peak?.rss ?? 0) / 2 ** 20).toFixed(0)} MiB\n`);
    expect(peak!.series.length).toBeGreaterThanOrEqual(10);
    expect(peak!.threads).toBeLessThanOrEqual(40);
    expect(threadGrowth(peak!.series)).toBeLessThanOrEqual(4);
    expect(peak!.rss).toBeLessThanOrEqual(2 ** 30);
    const q = openQueue(redis.url, queue);
    try {
      expect((await q.getJob(job!.id))!.returnvalue.steps).toBe(300);
    } finally {
      await q.close();
    }
  }, 300_000);
});
