import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PeftError } from '@peft/core';
import { CHECKPOINT_FILE } from '@peft/recipes';
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

/**
 * Runs `peft train` for one job as a child process into `<root>/<run>`: resumes with `--resume` when an earlier
 * attempt left a checkpoint in `<run>.partial`, starts over when it left none, and returns the finished run's result
 * when an earlier attempt got as far as the final folder. Rejects with JobPermanentError for exit code 2 (usage) or a
 * typed error (`peft: error: …`), and with JobCrashError otherwise.
 */
export async function runSweepJob(o: RunJobOptions): Promise<JobResult> {
  const { job } = o;
  const out = join(o.root ?? job.root, job.run);
  const partial = `${out}.partial`;
  if (existsSync(out)) return finishedResult(job.run, out, null, true);
  const resume = existsSync(join(partial, CHECKPOINT_FILE));
  if (!resume && existsSync(partial)) rmSync(partial, { recursive: true, force: true }); // died before its first checkpoint
  const preload = exitWithParentPath();
  const args = [...(preload ? ['--require', preload] : []), o.cli, ...trainArgs(job, o.root ?? job.root, resume)];
  const child = spawn(process.execPath, args, { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  o.onStart?.({ pid: child.pid ?? -1, resume });
  let stdout = '';
  let stderr = '';
  let total: number | null = null;
  let resumedFrom: number | null = null;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
    const t = /step \d+\/(\d+)/.exec(d.toString());
    if (t) total = Number(t[1]);
    const r = /resumed from step (\d+)/.exec(d.toString());
    if (r) resumedFrom = Number(r[1]);
  });
  let last = -1;
  const poll = setInterval(() => {
    const rec = lastStepRecord(join(partial, 'train.jsonl'));
    if (rec && rec.step !== last) {
      last = rec.step;
      o.onProgress?.({ step: rec.step, total, loss: rec.loss });
    }
  }, o.progressEveryMs ?? 1000);
  const abort = (): void => void child.kill('SIGKILL');
  o.signal?.addEventListener('abort', abort, { once: true });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    if (o.signal?.aborted) throw new JobCrashError(job.run, `stopped: ${String(o.signal.reason ?? 'aborted')}`);
    if (code === 0) return finishedResult(job.run, out, resumedFrom, false, stdout);
    const message = errorLine(stderr);
    if (code === 2 || (code === 1 && /^peft: error: /m.test(stderr))) throw new JobPermanentError(job.run, message ?? `peft train exited with ${code}`);
    throw new JobCrashError(job.run, signal ? `peft train was killed by ${signal}` : `peft train exited with ${code}: ${message ?? stderr.slice(-500)}`);
  } finally {
    clearInterval(poll);
    o.signal?.removeEventListener('abort', abort);
  }
}

/** The `peft: …` line(s) of the child's stderr: its message. */
function errorLine(stderr: string): string | null {
  const m = /^peft: (?:error: |unexpected error: )?([\s\S]*?)(?:\n\(peft --help for usage\))?\s*$/m.exec(stderr.slice(stderr.lastIndexOf('\npeft: ') + 1));
  return m ? m[1]!.trim().split('\n').slice(0, 6).join('\n') : null;
}

function finishedResult(run: string, out: string, resumedFrom: number | null, alreadyFinished: boolean, stdout?: string): JobResult {
  const metricsFile = join(out, 'metrics.json');
  if (!existsSync(metricsFile)) throw new JobPermanentError(run, `${out} exists but holds no metrics.json (not a finished run): remove it to run the job again`);
  const metrics = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, number | string>;
  let steps = lastStepRecord(join(out, 'train.jsonl'))?.step ?? 0;
  if (stdout) {
    const line = stdout.trim().split('\n').pop() ?? '';
    try {
      steps = (JSON.parse(line) as { steps: number }).steps;
    } catch {
      // keep the log's count
    }
  }
  return { run, out, steps, metrics, resumedFrom, alreadyFinished };
}
