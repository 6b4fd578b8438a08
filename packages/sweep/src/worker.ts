import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisUnreachableError, redactUrl } from './errors.js';
import { DEFAULT_QUEUE, isConnectionError, redisConnection, type SweepQueueJob } from './queue.js';
import { describeRedisError } from './redis-check.js';
import type { SweepJob } from './plan.js';
import { JobPermanentError, runSweepJob, type JobResult } from './run-job.js';

export interface WorkerSettings {
  readonly redis: string;
  readonly queue?: string;
  /** Jobs run at once, each its own `peft train` process. */
  readonly concurrency?: number;
  /** The output root on this machine when it is mounted elsewhere than where the sweep was planned. */
  readonly root?: string;
  /** Shown in `peft sweep status` and stored on each job (default host:pid). */
  readonly name?: string;
  /**
   * A job's lock lasts this long (ms) and is renewed at half of it; a worker that dies stops renewing, and the job
   * goes back to the queue at the next stalled check after the lock ran out. BullMQ's default 30000.
   */
  readonly lockDurationMs?: number;
  /** How often (ms) this worker looks for stalled jobs of dead workers. BullMQ's default 30000. */
  readonly stalledIntervalMs?: number;
  /** How many times a job may be taken back from a dead worker before it fails. */
  readonly maxStalledCount?: number;
  readonly cli: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
  /**
   * How long (ms) the worker waits for Redis to come back once it lost it (default 60000); then it stops its jobs'
   * runs (they resume elsewhere) and calls `onGiveUp` with a RedisUnreachableError.
   */
  readonly giveUpAfterMs?: number;
  readonly onGiveUp?: (e: RedisUnreachableError) => void;
}

/** Default of WorkerSettings.giveUpAfterMs. */
export const DEFAULT_GIVE_UP_AFTER_MS = 60_000;

const SHUTDOWN = 'worker shutting down';

/** Stops a worker: kills its running children and puts their jobs back in the queue, then closes it. */
export async function stopSweepWorker(worker: Worker<SweepJob, JobResult, string>): Promise<void> {
  worker.cancelAllJobs(SHUTDOWN);
  await worker.close();
}

/**
 * A BullMQ worker that runs each job's `peft train` as a child process. A child's usage error (exit 2) or typed
 * error fails its job at once (UnrecoverableError, no retry); a crash is retried with the queue's backoff and resumes
 * from the run's last checkpoint. When the worker loses a job's lock it kills that job's child.
 */
export function startSweepWorker(s: WorkerSettings): Worker<SweepJob, JobResult, string> {
  const log = s.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const name = s.name ?? `${hostname()}:${process.pid}`;
  const processor = async (job: SweepQueueJob, token?: string, signal?: AbortSignal): Promise<JobResult> => {
    const attempt = job.attemptsStarted;
    try {
      const r = await runSweepJob({
        job: job.data,
        ...(s.root ? { root: s.root } : {}),
        cli: s.cli,
        ...(s.env ? { env: s.env } : {}),
        ...(signal ? { signal } : {}),
        onStart: ({ pid, resume }) => log(`${name}: ${resume ? 'resume' : 'start'} ${job.id} (attempt ${attempt}, pid ${pid})`),
        onProgress: (p) => void job.updateProgress(p).catch(() => undefined),
      });
      log(`${name}: done ${job.id} (${r.steps} steps${r.resumedFrom !== null ? `, resumed from step ${r.resumedFrom}` : ''}${r.alreadyFinished ? ', finished by an earlier attempt' : ''})`);
      return r;
    } catch (e) {
      if (signal?.aborted && signal.reason === SHUTDOWN) {
        // back to the queue as it is: no attempt used up; the next worker resumes from the run's checkpoint
        await job.moveToWait(token);
        log(`${name}: put ${job.id} back in the queue`);
        throw new WaitingError();
      }
      log(`${name}: failed ${job.id}: ${(e as Error).message}`);
      if (e instanceof JobPermanentError) throw new UnrecoverableError(e.message);
      throw e;
    }
  };
  const worker = new Worker<SweepJob, JobResult, string>(s.queue ?? DEFAULT_QUEUE, processor, {
    connection: redisConnection(s.redis),
    name,
    concurrency: s.concurrency ?? 1,
    lockDuration: s.lockDurationMs ?? 30_000,
    stalledInterval: s.stalledIntervalMs ?? 30_000,
    maxStalledCount: s.maxStalledCount ?? 3,
  });
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) {
      log(`${name}: lost the lock of ${id}; stopping its run (another worker will take it over)`);
      worker.cancelJob(id, 'lock lost');
    }
  });
  watchConnection(worker, s, name, log);
  return worker;
}

/**
 * Says once when the worker loses Redis and when it is back (not one stack per reconnection attempt), and gives up
 * after `giveUpAfterMs` without it. The worker's own connections retry for ever (BullMQ's), so a connection of its own
 * watches the server: a PING a second.
 */
function watchConnection(worker: Worker<SweepJob, JobResult, string>, s: WorkerSettings, name: string, log: (line: string) => void): void {
  const limit = s.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS;
  const every = Math.min(1000, Math.max(100, limit / 10));
  const probe = new Redis(s.redis, { connectTimeout: every * 2, commandTimeout: every * 2, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => every });
  let lastError: Error | null = null;
  let downSince: number | null = null;
  let gaveUp = false;
  const lost = (e: Error): void => {
    lastError = e;
    if (downSince === null) {
      downSince = Date.now();
      log(`${name}: lost Redis at ${redactUrl(s.redis)} (${describeRedisError(e)}); retrying for up to ${Math.round(limit / 1000)} s`);
    }
  };
  probe.on('error', lost);
  worker.on('error', (e) => {
    if (!isConnectionError(e)) log(`${name}: queue error: ${e.message}`);
  });
  const timer = setInterval(() => {
    probe.ping().then(
      () => {
        if (downSince !== null) log(`${name}: Redis is back`);
        downSince = null;
      },
      (e: Error) => {
        if (downSince === null) lost(e);
        if (!gaveUp && Date.now() - downSince! >= limit) {
          gaveUp = true;
          clearInterval(timer);
          probe.disconnect();
          s.onGiveUp?.(new RedisUnreachableError(s.redis, `${describeRedisError(lastError ?? e)}; gave up after ${Math.round(limit / 1000)} s`));
        }
      },
    );
  }, every);
  timer.unref();
  worker.on('closed', () => {
    clearInterval(timer);
    probe.disconnect();
  });
}
