import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { writeFileAtomic } from '@peft/core';
import { DataFormatError, flagOption, integerParser, numberParser, peftCliPath, renderVegaLite, repeatableParser, useBackend, valueOption, type CliIo } from '@peft/recipes';
import { reportChartSpec } from './chart-spec.js';
import { collectRuns } from './collect.js';
import { presetShare, type ParameterShare } from './parameter-counts.js';
import { formatPlan, planSweep } from './plan.js';
import { DEFAULT_QUEUE, enqueueSweep, withQueue } from './queue.js';
import { checkRedis, DEFAULT_CONNECT_TIMEOUT_MS } from './redis-check.js';
import { buildReport, renderReportMarkdown } from './report.js';
import { formatStatus, sweepStatus } from './status.js';
import { checkSweepModels, readSweepFile } from './sweep-file.js';
import { DEFAULT_GIVE_UP_AFTER_MS, startSweepWorker, stopSweepWorker } from './worker.js';
import type { RedisUnreachableError } from './errors.js';

function redisUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError('--redis must be a URL such as redis://127.0.0.1:6379.');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InvalidArgumentError('--redis must be a redis:// or rediss:// URL.');
  return v;
}
const redisParser = Object.assign(redisUrl, { expects: 'redis:// URL' });

function connectTimeoutOption() {
  return valueOption('--connect-timeout <ms>', 'how long to wait for Redis to answer before saying it is unreachable (exit code 69)', { parse: integerParser('--connect-timeout', 100), defaultValue: DEFAULT_CONNECT_TIMEOUT_MS });
}

/** `peft sweep plan|run|status|report` and `peft worker`. */
export function registerSweepCommands(program: Command, io: CliIo): void {
  const sweep = program.command('sweep').description("the paper's grid of runs on a BullMQ (Redis) queue, and its tables (docs/sweep.md)");

  sweep
    .command('plan')
    .description('list the jobs of a sweep file (JSON or YAML) with every peft train option each gets')
    .argument('<file>', 'the sweep file')
    .addOption(flagOption('--json', 'print the jobs as JSON'))
    .action(async (file: string, o: { json?: boolean }) => {
      const spec = readSweepFile(file);
      await checkSweepModels(spec);
      const jobs = planSweep(spec);
      io.out(o.json ? JSON.stringify(jobs, null, 2) : formatPlan(spec, jobs));
    });

  sweep
    .command('run')
    .description("add a sweep's jobs to the queue (jobs already there are left as they are)")
    .argument('<file>', 'the sweep file')
    .addOption(valueOption('--redis <url>', 'the Redis every worker uses, e.g. redis://10.0.0.5:6379', { parse: redisParser }).makeOptionMandatory())
    .addOption(valueOption('--queue <name>', 'the BullMQ queue', { defaultValue: DEFAULT_QUEUE }))
    .addOption(valueOption('--attempts <n>', 'tries per job when its run crashes (a killed worker does not use one up)', { parse: integerParser('--attempts', 1), defaultValue: 3 }))
    .addOption(valueOption('--backoff <ms>', 'wait before the first retry, doubled each time', { parse: integerParser('--backoff', 0), defaultValue: 5000 }))
    .addOption(flagOption('--retry-failed', "put this sweep's failed jobs back in the queue"))
    .addOption(connectTimeoutOption())
    .action(async (file: string, o: { redis: string; queue: string; attempts: number; backoff: number; retryFailed?: boolean; connectTimeout: number }) => {
      const spec = readSweepFile(file);
      await checkSweepModels(spec);
      const jobs = planSweep(spec);
      const r = await withQueue(o.redis, o.queue, (queue) => enqueueSweep(queue, jobs, { attempts: o.attempts, backoffMs: o.backoff, retryFailed: o.retryFailed ?? false }), o.connectTimeout);
      io.out(`sweep '${spec.name}': ${r.added} jobs added, ${r.present} already in queue '${o.queue}'${r.retried ? `, ${r.retried} failed ones put back` : ''}`);
    });

  sweep
    .command('status')
    .description("every job's state, step and last loss")
    .argument('<file>', 'the sweep file')
    .addOption(valueOption('--redis <url>', 'the Redis of the queue', { parse: redisParser }).makeOptionMandatory())
    .addOption(valueOption('--queue <name>', 'the BullMQ queue', { defaultValue: DEFAULT_QUEUE }))
    .addOption(valueOption('--root <dir>', 'the output root as mounted here', { defaultText: "the sweep file's out" }))
    .addOption(flagOption('--json', 'print the rows as JSON'))
    .addOption(connectTimeoutOption())
    .action(async (file: string, o: { redis: string; queue: string; root?: string; json?: boolean; connectTimeout: number }) => {
      const jobs = planSweep(readSweepFile(file));
      const rows = await withQueue(o.redis, o.queue, (queue, keyExists) => sweepStatus(queue, jobs, o.root ? resolve(o.root) : undefined, keyExists), o.connectTimeout);
      io.out(o.json ? JSON.stringify(rows, null, 2) : formatStatus(rows));
    });

  sweep
    .command('report')
    .description("the paper's tables from the finished runs: mean ± sd over seeds, stored parameters, Welch t-test marks")
    .argument('<file>', 'the sweep file')
    .addOption(valueOption('--root <dir>', 'the output root as mounted here', { defaultText: "the sweep file's out" }))
    .addOption(valueOption('--against <preset>', 'the method every other row is tested against (one per family)', { parse: repeatableParser('preset'), defaultText: "the family's default preset" }))
    .addOption(valueOption('--alpha <p>', 'significance level of the two-sided Welch t-test', { parse: numberParser('--alpha', { above: 0, max: 0.5 }), defaultValue: 0.05 }))
    .addOption(valueOption('--out <dir>', 'where report.md, report.json and the chart (chart.vl.json, chart.svg, chart.png) go', { defaultText: '<root>/report' }))
    .addOption(flagOption('--json', 'print JSON instead of Markdown'))
    .addOption(flagOption('--skip-unreadable', 'leave out runs whose metrics.json is corrupt (named on stderr) instead of failing'))
    .action(async (file: string, o: { root?: string; against?: string[]; alpha: number; out?: string; json?: boolean; skipUnreadable?: boolean }) => {
      const spec = readSweepFile(file);
      const jobs = planSweep(spec);
      const root = o.root ? resolve(o.root) : spec.out;
      const { runs, missing: notFinished, unreadable } = collectRuns(jobs, root);
      if (unreadable.length && !o.skipUnreadable) {
        const [first, ...others] = unreadable;
        const also = others.length ? ` (also unreadable: ${others.map((u) => u.file).join(', ')})` : '';
        throw new DataFormatError(first!.file, 0, `${first!.reason}${also}: remove the run folder to run the job again, or pass --skip-unreadable to leave it out of the report`);
      }
      for (const u of unreadable) io.err(`peft sweep report: left out ${u.run}: ${u.file}: ${u.reason}`);
      const missing = [...notFinished, ...unreadable.map((u) => u.run)];
      await useBackend(io.err);
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
      const chart = reportChartSpec(report);
      await writeFileAtomic(join(dir, 'chart.vl.json'), JSON.stringify(chart, null, 2) + '\n');
      if (report.tables.some((t) => t.columns.length)) {
        const { svg, png } = await renderVegaLite(chart as unknown as Parameters<typeof renderVegaLite>[0]);
        await writeFileAtomic(join(dir, 'chart.svg'), svg);
        await writeFileAtomic(join(dir, 'chart.png'), png);
      }
      io.out(o.json ? JSON.stringify(report, null, 2) : markdown);
      io.err(`report: ${runs.length} finished runs${missing.length ? `, ${missing.length} not finished` : ''}; files in ${dir}`);
    });

  program
    .command('worker')
    .description("take sweep jobs from the queue and run peft train for each, until stopped (SIGINT / SIGTERM)")
    .addOption(valueOption('--redis <url>', 'the Redis of the queue', { parse: redisParser }).makeOptionMandatory())
    .addOption(valueOption('--queue <name>', 'the BullMQ queue', { defaultValue: DEFAULT_QUEUE }))
    .addOption(valueOption('--concurrency <n>', 'jobs at once (each its own process)', { parse: integerParser('--concurrency', 1), defaultValue: 1 }))
    .addOption(valueOption('--root <dir>', 'the output root as mounted here', { defaultText: "each job's, as planned" }))
    .addOption(valueOption('--name <name>', 'shown in peft sweep status', { defaultText: 'host:pid' }))
    .addOption(valueOption('--lock-duration <ms>', "a job's lock; a dead worker's job is retaken after it runs out", { parse: integerParser('--lock-duration', 100), defaultValue: 30_000 }))
    .addOption(valueOption('--stalled-interval <ms>', 'how often to look for jobs of dead workers', { parse: integerParser('--stalled-interval', 100), defaultValue: 30_000 }))
    .addOption(valueOption('--max-stalled <n>', 'times a job may be retaken from dead workers before it fails', { parse: integerParser('--max-stalled', 0), defaultValue: 3 }))
    .addOption(connectTimeoutOption())
    .addOption(valueOption('--give-up-after <ms>', 'how long to wait for Redis once lost before stopping (the running jobs resume elsewhere)', { parse: integerParser('--give-up-after', 100), defaultValue: DEFAULT_GIVE_UP_AFTER_MS }))
    .action(async (o: { redis: string; queue: string; concurrency: number; root?: string; name?: string; lockDuration: number; stalledInterval: number; maxStalled: number; connectTimeout: number; giveUpAfter: number }) => {
      await checkRedis(o.redis, o.connectTimeout);
      let giveUp: (e: RedisUnreachableError) => void = () => undefined;
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
        giveUpAfterMs: o.giveUpAfter,
        onGiveUp: (e) => giveUp(e),
      });
      await worker.waitUntilReady();
      io.out(`worker ${worker.opts.name ?? ''}: waiting for jobs on queue '${o.queue}' (concurrency ${o.concurrency})`);
      await new Promise<void>((done, fail) => {
        const stop = (signal: string): void => {
          io.out(`worker ${worker.opts.name ?? ''}: ${signal}: stopping the running jobs (they go back to the queue and resume elsewhere)`);
          void stopSweepWorker(worker).then(done);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
        giveUp = (e) => {
          // the running children are killed; their jobs' locks run out and other workers resume them
          worker.cancelAllJobs('Redis unreachable');
          void Promise.race([worker.close(true).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]).then(() => fail(e));
        };
      });
    });
}
