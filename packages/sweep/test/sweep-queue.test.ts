// The sweep on a real queue: a private redis-server on a loopback port, two `peft worker` processes, one killed with
// SIGKILL in the middle of a job; every job must finish exactly once, the killed one resumed from its checkpoint by the
// other worker with the same adapter bytes and metrics as an uninterrupted run; a job with missing data fails once.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSweep, trainArgs } from '../src/plan.js';
import { enqueueSweep, openQueue } from '../src/queue.js';
import { lastStepRecord } from '../src/run-log.js';
import { welchTTest } from '../src/statistics.js';
import { readSweepFile } from '../src/sweep-file.js';
import type { SweepReport } from '../src/report.js';
import { cli, env, haveRedis, inCi, isAlive, peft, startRedis, startWorker, until, writeSst2, type RedisServer, type Running } from './harness.js';

const tinyRoberta = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));

if (!haveRedis && !inCi) process.stderr.write('sweep-queue.test.ts skipped: redis-server is not installed (apt-get install redis-server; CI installs it in .ci/run)\n');

describe.runIf(haveRedis || inCi)('peft sweep on a real Redis with two workers, one killed with SIGKILL mid-job', () => {
  const work = mkdtempSync(join(tmpdir(), 'peft-sweep-queue-'));
  const queueName = `test-${process.pid}`;
  let redis: RedisServer | undefined;
  let url = '';
  const workers: Running[] = [];

  beforeAll(async () => {
    expect(haveRedis, 'redis-server is not installed (CI=true: .ci/run must install it)').toBe(true);
    expect(existsSync(cli), 'build @peft/recipes first (npm run build)').toBe(true);
    redis = await startRedis(join(work, 'redis'));
    url = redis.url;
  });

  afterAll(() => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    redis?.proc.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('every job finishes exactly once, the killed one resumed elsewhere with identical results; a job with missing data fails once; status and report', async () => {
    writeSst2(join(work, 'data'));
    const sweepFile = join(work, 'sweep.json');
    writeFileSync(sweepFile, JSON.stringify({
      name: 'kill-test',
      out: 'runs',
      model: tinyRoberta,
      data: 'data',
      tasks: {
        sst2: { presets: ['nlu-inducer-lora', 'nlu-inducer-no-lora'], seeds: [1, 2] },
        mnli: { presets: ['nlu-inducer-lora'], seeds: [1] }, // no MNLI files in data/: fails at once
      },
      train: { 'max-steps': 8, 'batch-size': 4, 'checkpoint-every': 2, padding: 'batch' },
    }));
    const jobs = planSweep(readSweepFile(sweepFile));
    const sst2 = jobs.filter((j) => j.task === 'sst2');
    const logs = (): string => workers.map((w, i) => `--- worker ${'AB'[i]}\n${w.lines.join('\n')}`).join('\n');

    const run = peft('sweep', 'run', sweepFile, '--redis', url, '--queue', queueName, '--backoff', '200');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/5 jobs added, 0 already in queue/);
    const again = openQueue(url, queueName);
    expect(await enqueueSweep(again, jobs)).toEqual({ added: 0, present: 5, retried: 0 }); // a job id is added once
    await again.close();

    // worker A takes the first job; B starts beside it; A is killed once its run is past a checkpoint
    workers.push(startWorker('A', url, queueName));
    const started = await until('A to start a job', () => workers[0]!.lines.map((l) => /^A: start (\S+) \(attempt \d+, pid (\d+)\)/.exec(l)).find(Boolean), 60_000, logs);
    const victim = jobs.find((j) => j.id === started[1])!;
    const childPid = Number(started[2]);
    workers.push(startWorker('B', url, queueName));
    const partialLog = join(work, 'runs', `${victim.run}.partial`, 'train.jsonl');
    await until(`${victim.run} past its first checkpoint`, () => (lastStepRecord(partialLog)?.step ?? 0) >= 3, 60_000, logs);
    // freeze the run where it is (no race with its last steps), kill its worker, then let the orphan go on: it must
    // end by itself (it would go on writing the folder B is about to resume)
    process.kill(childPid, 'SIGSTOP');
    workers[0]!.proc.kill('SIGKILL');
    await until('worker A to die', () => workers[0]!.proc.signalCode === 'SIGKILL', 5_000, logs);
    const killedAt = lastStepRecord(partialLog)!.step;
    process.kill(childPid, 'SIGCONT');
    expect(killedAt).toBeLessThan(8);
    await until("the killed worker's child to exit", () => !isAlive(childPid), 5_000, logs);
    // meanwhile, the same job uninterrupted, for comparison
    const reference = new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, ...trainArgs(victim, join(work, 'reference'))], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => resolve({ code, stderr: err }));
    });

    const queue = openQueue(url, queueName);
    try {
      await until('all jobs to settle', async () => {
        const states = await Promise.all(jobs.map(async (j) => (await queue.getJob(j.id))?.getState()));
        return states.every((s) => s === 'completed' || s === 'failed');
      }, 180_000, logs);
      for (const j of sst2) {
        const q = (await queue.getJob(j.id))!;
        expect(await q.getState(), `${j.id}\n${logs()}`).toBe('completed');
        expect(q.returnvalue.steps).toBe(8);
      }
      const bad = (await queue.getJob(jobs.find((j) => j.task === 'mnli')!.id))!;
      expect(await bad.getState()).toBe('failed');
      expect(bad.failedReason).toMatch(/mnli\/MNLI\/train\.tsv: not found in the --data folder; `peft data get mnli --dir .*` fetches it there/);
      expect(bad.attemptsStarted).toBe(1); // UnrecoverableError: not retried although attempts = 3
      const victimJob = (await queue.getJob(victim.id))!;
      expect(victimJob.processedBy).toBe('B');
      expect(victimJob.returnvalue.resumedFrom).toBeGreaterThanOrEqual(2);
      expect(victimJob.returnvalue.resumedFrom).toBeLessThanOrEqual(killedAt);
    } finally {
      await queue.close();
    }

    // exactly once: one "done" per job over both workers' logs; the victim started on A and resumed on B
    const all = workers.flatMap((w) => w.lines);
    for (const j of sst2) expect(all.filter((l) => l.includes(`: done ${j.id} `)), j.id).toHaveLength(1);
    expect(all.filter((l) => l.includes(': failed kill-test/mnli-'))).toHaveLength(1);
    expect(workers[1]!.lines.some((l) => new RegExp(`^B: resume ${victim.id} `).test(l))).toBe(true);
    expect(workers[1]!.lines.some((l) => new RegExp(`^B: done ${victim.id} \\(8 steps, resumed from step \\d+\\)`).test(l))).toBe(true);
    expect(readdirSync(join(work, 'runs')).sort()).toEqual(sst2.map((j) => j.run).sort());

    // the same result as an uninterrupted run of the same job
    const ref = await reference;
    expect(ref.code, ref.stderr).toBe(0);
    for (const f of ['adapter/adapter_model.safetensors', 'checkpoint.safetensors', 'metrics.json']) {
      expect(readFileSync(join(work, 'runs', victim.run, f)).equals(readFileSync(join(work, 'reference', victim.run, f))), f).toBe(true);
    }

    // status: every job's state, step and last loss
    const status = peft('sweep', 'status', sweepFile, '--redis', url, '--queue', queueName);
    expect(status.code, status.stderr).toBe(0);
    for (const j of sst2) {
      const last = lastStepRecord(join(work, 'runs', j.run, 'train.jsonl'))!;
      expect(status.stdout).toContain(`${j.run}\tcompleted\t8/8\t${last.loss.toFixed(4)}\t`);
    }
    expect(status.stdout).toMatch(/mnli-nlu-inducer-lora-s1\tfailed\t–\t–\t1\tA|B\t.*mnli\/MNLI\/train\.tsv: not found in the --data folder/);
    expect(status.stdout).toMatch(/4 completed, 1 failed$/m);

    // report: the table with means, sds and Welch marks (recomputed here from the runs' metrics)
    const rep = peft('sweep', 'report', sweepFile);
    expect(rep.code, rep.stderr).toBe(0);
    process.stderr.write(`\n${rep.stdout}\n`);
    const report = JSON.parse(readFileSync(join(work, 'runs', 'report', 'report.json'), 'utf8')) as SweepReport;
    const table = report.tables[0]!;
    expect(table.reference).toBe('nlu-inducer-lora');
    const acc = (preset: string): number[] => [1, 2].map((s) => 100 * (JSON.parse(readFileSync(join(work, 'runs', `sst2-${preset}-s${s}`, 'metrics.json'), 'utf8')) as { accuracy: number }).accuracy);
    const [a, b] = [acc('nlu-inducer-lora'), acc('nlu-inducer-no-lora')];
    const cell = table.rows[1]!.cells['SST-2']!;
    expect(cell.values).toEqual(b);
    const test = welchTTest(a, b);
    expect(cell.test === null ? null : cell.test.p).toBe(test === null ? null : test.p);
    expect(cell.significant).toBe(test !== null && test.p < 0.05);
    const mean = (xs: number[]): number => (xs[0]! + xs[1]!) / 2;
    const sd = (xs: number[]): number => Math.abs(xs[0]! - xs[1]!) / Math.SQRT2;
    const d = (x: number, m = x): string => x.toFixed(Math.abs(m) < 1.5 ? 3 : 2);
    expect(rep.stdout).toContain(`| nlu-inducer-lora (ref.) | `);
    expect(rep.stdout).toContain(` | ${d(mean(a))} ± ${d(sd(a), mean(a))} |`);
    expect(rep.stdout).toContain(` | ${d(mean(b))} ± ${d(sd(b), mean(b))}${cell.significant ? ' †' : ''} |`);
    expect(rep.stdout).toMatch(/† : differs from the reference method \(ref\.\) at p < 0\.05 in a two-sided Welch t-test/);
    expect(rep.stdout).toContain('Not finished (left out): mnli-nlu-inducer-lora-s1.');
    expect(existsSync(join(work, 'runs', 'report', 'chart.vl.json'))).toBe(true);
    expect(readFileSync(join(work, 'runs', 'report', 'chart.png')).subarray(1, 4).toString()).toBe('PNG');
  }, 300_000);
});
