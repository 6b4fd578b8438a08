import { Queue, type Job, type JobsOptions } from 'bullmq';
import { SweepQueueError } from './errors.js';
import type { SweepJob } from './plan.js';
import type { JobProgress, JobResult } from './run-job.js';

/** The BullMQ queue every sweep's jobs go into (workers need no sweep name; job ids start with the sweep's). */
export const DEFAULT_QUEUE = 'peft-sweep';

export type SweepQueueJob = Job<SweepJob, JobResult, string>;

/** BullMQ's connection options for a `redis://` or `rediss://` URL (checked here, so a typo is a clear error). */
export function redisConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SweepQueueError(`--redis must be a URL such as redis://127.0.0.1:6379, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new SweepQueueError(`--redis must be a redis:// or rediss:// URL, got '${url}'`);
  // null: a worker waits through a Redis restart instead of failing its commands
  return { url, maxRetriesPerRequest: null };
}

export function openQueue(url: string, name = DEFAULT_QUEUE): Queue<SweepJob, JobResult, string> {
  return new Queue<SweepJob, JobResult, string>(name, { connection: redisConnection(url) });
}

export interface EnqueueOptions {
  /** Tries per job for failures that a retry can fix (a crash, a killed worker's job counts separately as stalled). */
  readonly attempts?: number;
  /** First retry delay in ms, doubled each time. */
  readonly backoffMs?: number;
  /** Put jobs of this sweep that failed back in the queue. */
  readonly retryFailed?: boolean;
}

/**
 * Adds the sweep's jobs; a job already in the queue (same id) is left as it is, so running `peft sweep run` twice
 * adds nothing. Returns how many were added, already there, and put back after failing.
 */
export async function enqueueSweep(
  queue: Queue<SweepJob, JobResult, string>,
  jobs: readonly SweepJob[],
  o: EnqueueOptions = {},
): Promise<{ added: number; present: number; retried: number }> {
  const opts: JobsOptions = {
    attempts: o.attempts ?? 3,
    backoff: { type: 'exponential', delay: o.backoffMs ?? 5000 },
    removeOnComplete: false,
    removeOnFail: false,
  };
  let added = 0;
  let present = 0;
  let retried = 0;
  for (const j of jobs) {
    const existing = await queue.getJob(j.id);
    if (existing) {
      present++;
      if (o.retryFailed && (await existing.getState()) === 'failed') {
        await existing.retry('failed');
        retried++;
      }
      continue;
    }
    await queue.add(j.task, j, { ...opts, jobId: j.id });
    added++;
  }
  return { added, present, retried };
}

export function isJobProgress(p: unknown): p is JobProgress {
  return p !== null && typeof p === 'object' && typeof (p as JobProgress).step === 'number';
}
