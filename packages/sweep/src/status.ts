import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { SweepJob } from './plan.js';
import { isJobProgress } from './queue.js';
import type { JobResult } from './run-job.js';
import { lastStepRecord } from './run-log.js';

/**
 * A job's state in the queue; `stalled`: active in the queue but no worker holds its lock any more (its worker died,
 * or lost Redis), so nothing runs it: it goes back to waiting at the next stalled check of any worker.
 */
export type JobStateName = 'not queued' | 'waiting' | 'active' | 'stalled' | 'delayed' | 'completed' | 'failed' | 'prioritized' | 'waiting-children' | 'unknown';

/** Whether a Redis key exists (the job's lock): the status's way to tell a running job from a stalled one. */
export type KeyExists = (key: string) => Promise<boolean>;

export interface JobStatus {
  readonly run: string;
  readonly id: string;
  readonly state: JobStateName;
  readonly step: number | null;
  readonly total: number | null;
  readonly loss: number | null;
  /** Times a worker started it (a resumed attempt counts). */
  readonly attempts: number;
  readonly worker: string | null;
  readonly failedReason: string | null;
}

/**
 * Every job of the plan with its state in the queue, and its step and last loss: from the run's train.jsonl when the
 * output root is readable here, else from the progress its worker last reported.
 */
export async function sweepStatus(queue: Queue<SweepJob, JobResult, string>, jobs: readonly SweepJob[], root?: string, keyExists?: KeyExists): Promise<JobStatus[]> {
  const rows: JobStatus[] = [];
  for (const j of jobs) {
    const q = await queue.getJob(j.id);
    let state = q ? ((await q.getState()) as JobStateName) : 'not queued';
    if (state === 'active' && keyExists && !(await keyExists(queue.toKey(`${j.id}:lock`)))) state = 'stalled';
    const dir = join(root ?? j.root, j.run);
    const fromLog = lastStepRecord(join(existsSync(dir) ? dir : `${dir}.partial`, 'train.jsonl'));
    const progress = q && isJobProgress(q.progress) ? q.progress : null;
    const result = state === 'completed' ? (q?.returnvalue ?? null) : null;
    rows.push({
      run: j.run,
      id: j.id,
      state,
      step: fromLog?.step ?? progress?.step ?? result?.steps ?? null,
      total: progress?.total ?? (state === 'completed' ? (result?.steps ?? null) : null),
      loss: fromLog?.loss ?? progress?.loss ?? null,
      attempts: q?.attemptsStarted ?? 0,
      worker: q?.processedBy ?? null,
      failedReason: q?.failedReason ?? null,
    });
  }
  return rows;
}

/** The status as a table, with a count per state. */
export function formatStatus(rows: readonly JobStatus[]): string {
  const lines = ['job\tstate\tstep\tloss\tattempts\tworker\tmessage'];
  for (const r of rows) {
    const step = r.step === null ? '–' : r.total ? `${r.step}/${r.total}` : String(r.step);
    const loss = r.loss === null ? '–' : r.loss.toFixed(4);
    lines.push(`${r.run}\t${r.state}\t${step}\t${loss}\t${r.attempts}\t${r.worker ?? '–'}\t${r.state === 'failed' ? (r.failedReason ?? '').split('\n')[0] : ''}`);
  }
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  lines.push([...counts].map(([s, n]) => `${n} ${s}`).join(', '));
  if (rows.length && rows.every((r) => r.state === 'not queued')) {
    lines.push("note: none of this sweep's jobs is in queue (not added yet, or Redis restarted without persistence): peft sweep run adds them; finished runs are not trained again");
  }
  if (rows.some((r) => r.state === 'stalled')) lines.push('note: stalled jobs have no worker any more; the next stalled check of a running worker puts them back in the queue');
  return lines.join('\n');
}
