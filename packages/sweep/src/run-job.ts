import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PeftError } from '@peft/core';
import { CHECKPOINT_FILE, readTrainEvents, type TrainEvent } from '@peft/recipes';
import { exitWithParentPath } from './exit-with-parent-path.js';
import { trainArgs, type SweepJob } from './plan.js';
import { lastStepRecord } from './run-log.js';

/** A job that retrying cannot fix (bad options, missing data or model, a checkpoint of another run): fail it once. */
export class JobPermanentError extends PeftError {
  readonly run: string;
  constructor(run: string, message: string) {
    super('E_JOB_PERMANENT', `${run}: ${message}`);
    this.run = run;
  }
}

/** A job whose child crashed or was killed: worth retrying (it resumes from its last checkpoint). */
export class JobCrashError extends PeftError {
  readonly run: string;
  constructor(run: string, message: string) {
    super('E_JOB_CRASH', `${run}: ${message}`);
    this.run = run;
  }
}

export interface JobProgress {
  readonly step: number;
  readonly total: number | null;
  readonly loss: number | null;
}

/** What a finished job returns (stored by the queue as the job's result). */
export interface JobResult {
  readonly run: string;
  readonly out: string;
  readonly steps: number;
  readonly metrics: Record<string, number | string>;
  /** The checkpoint step this attempt resumed from; null when it started from scratch. */
  readonly resumedFrom: number | null;
  /** True when an earlier attempt had already finished the run (its worker died before telling the queue). */
  readonly alreadyFinished: boolean;
}

export interface RunJobOptions {
  readonly job: SweepJob;
  /** The output root on this machine (default: the job's). */
  readonly root?: string;
  /** The built `peft` CLI (dist/cli.js). */
  readonly cli: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Ends the child (the worker lost the job's lock, or is shutting down). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: JobProgress) => void;
  readonly onStart?: (info: { pid: number; resume: boolean }) => void;
  readonly progressEveryMs?: number;
}

/** The child's end of the events pipe: `peft train --events /dev/fd/3` writes there (stdio[3]). */
const EVENTS_FD = 3;

/**
 * Runs `peft train` for one job as a child process into `<root>/<run>`: resumes with `--resume` when an earlier
 * attempt left a checkpoint in `<run>.partial`, starts over when it left none, and returns the finished run's result
 * when an earlier attempt got as far as the final folder. It follows the run through its events (`--events`, a pipe:
 * no parsing of human-readable output): a `failed` event of kind `input` or `data` (PeftErrorKind), or exit code 2,
 * rejects with JobPermanentError; anything else that is not a `finished` run (an `environment` or `internal` failure, a
 * crash, a kill) rejects with JobCrashError (retried; it resumes).
 */
export async function runSweepJob(o: RunJobOptions): Promise<JobResult> {
  const { job } = o;
  const out = join(o.root ?? job.root, job.run);
  const partial = `${out}.partial`;
  if (existsSync(out)) return finishedResult(job.run, out, null, true);
  const resume = existsSync(join(partial, CHECKPOINT_FILE));
  if (!resume && existsSync(partial)) rmSync(partial, { recursive: true, force: true }); // died before its first checkpoint
  const preload = exitWithParentPath();
  const args = [...(preload ? ['--require', preload] : []), o.cli, ...trainArgs(job, o.root ?? job.root, resume), '--events', `/dev/fd/${EVENTS_FD}`];
  const child = spawn(process.execPath, args, { env: o.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  o.onStart?.({ pid: child.pid ?? -1, resume });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let total: number | null = null;
  let resumedFrom: number | null = null;
  let finished: Extract<TrainEvent, { type: 'finished' }> | null = null;
  let failed: Extract<TrainEvent, { type: 'failed' }> | null = null;
  let lastReport = 0;
  const onEvent = (e: TrainEvent): void => {
    if (e.type === 'started') total = e.total_steps;
    else if (e.type === 'resumed') resumedFrom = e.step;
    else if (e.type === 'finished') finished = e;
    else if (e.type === 'failed') failed = e;
    else if (e.type === 'step') {
      total = e.total_steps;
      if (Date.now() - lastReport < (o.progressEveryMs ?? 1000) && e.step !== e.total_steps) return;
      lastReport = Date.now();
      o.onProgress?.({ step: e.step, total: e.total_steps, loss: e.loss });
    }
  };
  let pending = '';
  (child.stdio[EVENTS_FD] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop()!;
    for (const e of readTrainEvents(lines.join('\n'))) onEvent(e);
  });
  const abort = (): void => void child.kill('SIGKILL');
  o.signal?.addEventListener('abort', abort, { once: true });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    if (o.signal?.aborted) throw new JobCrashError(job.run, `stopped: ${String(o.signal.reason ?? 'aborted')}`);
    const done = finished as Extract<TrainEvent, { type: 'finished' }> | null;
    const fail = failed as Extract<TrainEvent, { type: 'failed' }> | null;
    if (code === 0 && done) return { run: job.run, out, steps: done.steps, metrics: { ...done.metrics }, resumedFrom, alreadyFinished: false };
    // another attempt of this job finished the run while this one ran (a lost lock let two overlap, e.g. across a Redis
    // restart): this one then fails on the final folder ('already exists'), and the finished run's result stands
    if (existsSync(out)) return finishedResult(job.run, out, resumedFrom, true);
    if (fail) {
      // the inputs are wrong (options, config, data, model): the same again fails the same; the machine, a service or
      // a signal (environment), or a bug that may not recur: retried, resuming from the last checkpoint
      if (fail.kind === 'input' || fail.kind === 'data') throw new JobPermanentError(job.run, fail.message);
      throw new JobCrashError(job.run, `peft train failed (${fail.kind} error): ${fail.message}`);
    }
    const tail = stderr.trim().split('\n').slice(-6).join('\n');
    if (code === 2) throw new JobPermanentError(job.run, `peft train rejected its options (exit 2): ${tail}`);
    if (code === 0) throw new JobCrashError(job.run, `peft train exited 0 without a 'finished' event (total ${total ?? '?'} steps)`);
    throw new JobCrashError(job.run, signal ? `peft train was killed by ${signal}` : `peft train exited with ${code}: ${tail}`);
  } finally {
    o.signal?.removeEventListener('abort', abort);
  }
}

/** The result of a run an earlier attempt finished (its folder got its final name): from its metrics.json. */
function finishedResult(run: string, out: string, resumedFrom: number | null, alreadyFinished: boolean): JobResult {
  const metricsFile = join(out, 'metrics.json');
  if (!existsSync(metricsFile)) throw new JobPermanentError(run, `${out} exists but holds no metrics.json (not a finished run): remove it to run the job again`);
  let metrics: Record<string, number | string>;
  try {
    metrics = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, number | string>;
  } catch (e) {
    throw new JobPermanentError(run, `${metricsFile} is not valid JSON (${(e as Error).message}): remove ${out} to run the job again`);
  }
  return { run, out, steps: lastStepRecord(join(out, 'train.jsonl'))?.step ?? 0, metrics, resumedFrom, alreadyFinished };
}
