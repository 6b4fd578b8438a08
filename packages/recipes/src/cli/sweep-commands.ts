import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { selectBackend, writeFileAtomic } from '@peft/core';
import { reportChartSpec } from '../sweep/chart-spec.js';
import { collectRuns } from '../sweep/collect.js';
import { presetShare, type ParameterShare } from '../sweep/parameter-counts.js';
import { peftCliPath } from '../sweep/peft-cli-path.js';
import { formatPlan, planSweep } from '../sweep/plan.js';
import { DEFAULT_QUEUE, enqueueSweep, openQueue } from '../sweep/queue.js';
import { buildReport, renderReportMarkdown } from '../sweep/report.js';
import { formatStatus, sweepStatus } from '../sweep/status.js';
import { readSweepFile } from '../sweep/sweep-file.js';
import { startSweepWorker, stopSweepWorker } from '../sweep/worker.js';

export interface SweepIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

function intOption(min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}.`);
    return n;
  };
}

function probability(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1.');
  return n;
}

function redisUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError('must be a URL such as redis://127.0.0.1:6379.');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InvalidArgumentError('must be a redis:// or rediss:// URL.');
  return v;
}

function collect(v: string, previous: string[] = []): string[] {
  return [...previous, v];
}

/** `peft sweep plan|run|status|report` and `peft worker`. */
export function registerSweepCommands(program: Command, io: SweepIo): void {
  const sweep = program.command('sweep').description("the paper's grid of runs on a BullMQ (Redis) queue, and its tables (docs/sweep.md)");

  sweep
    .command('plan')
    .description('list the jobs of a sweep file (JSON or YAML) with every peft train option each gets')
    .argument('<file>', 'the sweep file')
    .option('--json', 'print the jobs as JSON')
    .action((file: string, o: { json?: boolean }) => {
      const spec = readSweepFile(file);
      const jobs = planSweep(spec);
      io.out(o.json ? JSON.stringify(jobs, null, 2) : formatPlan(spec, jobs));
    });

  sweep
    .command('run')
    .description("add a sweep's jobs to the queue (jobs already there are left as they are)")
    .argument('<file>', 'the sweep file')
    .requiredOption('--redis <url>', 'the Redis every worker uses, e.g. redis://10.0.0.5:6379', redisUrl)
    .option('--queue <name>', 'the BullMQ queue', DEFAULT_QUEUE)
    .option('--attempts <n>', 'tries per job when its run crashes (a killed worker does not use one up)', intOption(1), 3)
    .option('--backoff <ms>', 'wait before the first retry, doubled each time', intOption(0), 5000)
    .option('--retry-failed', "put this sweep's failed jobs back in the queue")
    .action(async (file: string, o: { redis: string; queue: string; attempts: number; backoff: number; retryFailed?: boolean }) => {
      const spec = readSweepFile(file);
      const jobs = planSweep(spec);
      const queue = openQueue(o.redis, o.queue);
      try {
        const r = await enqueueSweep(queue, jobs, { attempts: o.attempts, backoffMs: o.backoff, retryFailed: o.retryFailed ?? false });
        io.out(`sweep '${spec.name}': ${r.added} jobs added, ${r.present} already in queue '${o.queue}'${r.retried ? `, ${r.retried} failed ones put back` : ''}`);
      } finally {
        await queue.close();
      }
    });

  sweep
    .command('status')
    .description("every job's state, step and last loss")
    .argument('<file>', 'the sweep file')
    .requiredOption('--redis <url>', 'the Redis of the queue', redisUrl)
    .option('--queue <name>', 'the BullMQ queue', DEFAULT_QUEUE)
    .option('--root <dir>', 'the output root as mounted here (default: the sweep file\'s out)')
    .option('--json', 'print the rows as JSON')
    .action(async (file: string, o: { redis: string; queue: string; root?: string; json?: boolean }) => {
      const jobs = planSweep(readSweepFile(file));
      const queue = openQueue(o.redis, o.queue);
      try {
        const rows = await sweepStatus(queue, jobs, o.root ? resolve(o.root) : undefined);
        io.out(o.json ? JSON.stringify(rows, null, 2) : formatStatus(rows));
      } finally {
        await queue.close();
      }
    });

  sweep
    .command('report')
    .description("the paper's tables from the finished runs: mean ± sd over seeds, stored parameters, Welch t-test marks")
    .argument('<file>', 'the sweep file')
    .option('--root <dir>', 'the output root as mounted here (default: the sweep file\'s out)')
    .option('--against <preset>', 'the method every other row is tested against (one per family; repeatable)', collect)
    .option('--alpha <p>', 'significance level of the two-sided Welch t-test', probability, 0.05)
    .option('--out <dir>', 'where report.md, report.json and chart.vl.json go (default: <root>/report)')
    .option('--json', 'print JSON instead of Markdown')
    .action(async (file: string, o: { root?: string; against?: string[]; alpha: number; out?: string; json?: boolean }) => {
      const spec = readSweepFile(file);
      const jobs = planSweep(spec);
      const root = o.root ? resolve(o.root) : spec.out;
      const { runs, missing } = collectRuns(jobs, root);
      const only = process.env.PEFT_BACKEND ? process.env.PEFT_BACKEND.split(',') : undefined;
      await selectBackend(only ? { only } : {});
      const params = new Map<string, ParameterShare>();
      for (const j of jobs) {
        if (params.has(j.preset)) continue;
        try {
          params.set(j.preset, await presetShare(j.preset, j.model));
        } catch (e) {
          io.err(`peft sweep report: no parameter count for ${j.preset} (${(e as Error).message})`);
        }
      }
      const against = o.against ?? spec.against;
      for (const a of against) {
        if (!jobs.some((j) => j.preset === a)) io.err(`peft sweep report: --against ${a} is not a method of this sweep; its family's table keeps its default reference`);
      }
      const report = buildReport({ sweep: spec.name, jobs, runs, missing, against, alpha: o.alpha, params });
      const markdown = renderReportMarkdown(report);
      const dir = resolve(o.out ?? join(root, 'report'));
      mkdirSync(dir, { recursive: true });
      await writeFileAtomic(join(dir, 'report.md'), markdown);
      await writeFileAtomic(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
      await writeFileAtomic(join(dir, 'chart.vl.json'), JSON.stringify(reportChartSpec(report), null, 2) + '\n');
      io.out(o.json ? JSON.stringify(report, null, 2) : markdown);
      io.err(`report: ${runs.length} finished runs${missing.length ? `, ${missing.length} not finished` : ''}; files in ${dir}`);
    });

  program
    .command('worker')
    .description("take sweep jobs from the queue and run peft train for each, until stopped (SIGINT / SIGTERM)")
    .requiredOption('--redis <url>', 'the Redis of the queue', redisUrl)
    .option('--queue <name>', 'the BullMQ queue', DEFAULT_QUEUE)
    .option('--concurrency <n>', 'jobs at once (each its own process)', intOption(1), 1)
    .option('--root <dir>', 'the output root as mounted here (default: each job\'s, as planned)')
    .option('--name <name>', 'shown in peft sweep status (default host:pid)')
    .option('--lock-duration <ms>', 'a job\'s lock; a dead worker\'s job is retaken after it runs out', intOption(100), 30_000)
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers', intOption(100), 30_000)
    .option('--max-stalled <n>', 'times a job may be retaken from dead workers before it fails', intOption(0), 3)
    .action(async (o: { redis: string; queue: string; concurrency: number; root?: string; name?: string; lockDuration: number; stalledInterval: number; maxStalled: number }) => {
      const worker = startSweepWorker({
        redis: o.redis,
        queue: o.queue,
        concurrency: o.concurrency,
        ...(o.root ? { root: resolve(o.root) } : {}),
        ...(o.name ? { name: o.name } : {}),
        lockDurationMs: o.lockDuration,
        stalledIntervalMs: o.stalledInterval,
        maxStalledCount: o.maxStalled,
        cli: peftCliPath(),
        log: io.out,
      });
      await worker.waitUntilReady();
      io.out(`worker ${worker.opts.name}: waiting for jobs on queue '${o.queue}' (concurrency ${o.concurrency})`);
      await new Promise<void>((done) => {
        const stop = (signal: string): void => {
          io.out(`worker ${worker.opts.name}: ${signal}: stopping the running jobs (they go back to the queue and resume elsewhere)`);
          void stopSweepWorker(worker).then(done);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
