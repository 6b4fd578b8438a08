import { Queue, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisUnreachableError, SweepQueueError } from './errors.js';
import { checkRedis, DEFAULT_CONNECT_TIMEOUT_MS, describeRedisError } from './redis-check.js';
import type { SweepJob } from './plan.js';
import type { JobProgress, JobResult } from './run-job.js';

/** The BullMQ queue every sweep's jobs go into (workers need no sweep name; job ids start with the sweep's). */
export const DEFAULT_QUEUE = 'peft-sweep';

export type SweepQueueJob = Job<SweepJob, JobResult, string>;

/**
 * A worker's BullMQ connection options for a `redis://` or `rediss://` URL (checked here, so a typo is a clear error):
 * commands wait through a Redis restart (the worker itself gives up after a bounded time, see worker.ts).
 */
export function redisConnection(url: string): { url: string; maxRetriesPerRequest: null; connectTimeout: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SweepQueueError(`--redis must be a URL such as redis://127.0.0.1:6379, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new SweepQueueError(`--redis must be a redis:// or rediss:// URL, got '${url}'`);
  // null: a worker waits through a Redis restart instead of failing its commands
  return { url, maxRetriesPerRequest: null, connectTimeout: DEFAULT_CONNECT_TIMEOUT_MS };
}

export function openQueue(url: string, name = DEFAULT_QUEUE): Queue<SweepJob, JobResult, string> {
  return new Queue<SweepJob, JobResult, string>(name, { connection: redisConnection(url) });
}

/**
 * Runs `use` on the queue for one command (`peft sweep run|status`), with every wait bounded: Redis must answer a
 * PING within `timeoutMs` first, and each command after that fails (instead of waiting for ever) after a few
 * reconnection attempts or `timeoutMs` without an answer. Every such failure is a RedisUnreachableError.
 */
export async function withQueue<T>(url: string, name: string, use: (q: Queue<SweepJob, JobResult, string>, keyExists: (key: string) => Promise<boolean>) => Promise<T>, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<T> {
  redisConnection(url); // a malformed URL is a SweepQueueError, before any connection
  await checkRedis(url, timeoutMs);
  let lastError: Error | null = null;
  const queue = new Queue<SweepJob, JobResult, string>(name, {
    connection: {
      url,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 2,
      retryStrategy: (times: number) => (times > 3 ? null : 200 * times),
    },
  });
  queue.on('error', (e: Error) => (lastError = e));
  const plain = new Redis(url, { connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 2, retryStrategy: (times: number) => (times > 3 ? null : 200 * times) });
  plain.on('error', (e: Error) => (lastError = e));
  try {
    return await use(queue, async (key) => (await plain.exists(key)) === 1);
  } catch (e) {
    if (e instanceof Error && !(e instanceof SweepQueueError) && isConnectionError(e)) throw new RedisUnreachableError(url, describeRedisError(lastError ?? e), { cause: e });
    throw e;
  } finally {
    plain.disconnect();
    queue.disconnect().catch(() => undefined);
    await Promise.race([queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

/** An ioredis error about the connection (not a reply of the server's, which is a bug or a data problem). */
export function isConnectionError(e: Error): boolean {
  return /max retries per request|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Stream isn't writeable/i.test(e.message) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes((e as { code?: string }).code ?? '');
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
