import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepJob } from './plan.js';

/** One finished run: its job and what `peft train` wrote to metrics.json. */
export interface FinishedRun {
  readonly job: SweepJob;
  readonly metrics: Readonly<Record<string, number | string>>;
}

/**
 * The finished runs of a plan, read from `<root>/<run>/metrics.json` (a run folder gets its final name only when
 * `peft train` succeeded); `missing` lists the runs not finished (yet), `unreadable` those whose metrics.json is
 * corrupt (named, for the caller to fail or leave out).
 */
export function collectRuns(jobs: readonly SweepJob[], root?: string): { runs: FinishedRun[]; missing: string[]; unreadable: UnreadableRun[] } {
  const runs: FinishedRun[] = [];
  const missing: string[] = [];
  const unreadable: UnreadableRun[] = [];
  for (const job of jobs) {
    const file = join(root ?? job.root, job.run, 'metrics.json');
    if (!existsSync(file)) {
      missing.push(job.run);
      continue;
    }
    try {
      const metrics = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) throw new Error('not a JSON object');
      runs.push({ job, metrics: metrics as Record<string, number | string> });
    } catch (e) {
      unreadable.push({ run: job.run, file, reason: (e as Error).message });
    }
  }
  return { runs, missing, unreadable };
}

/** A finished run whose metrics.json cannot be read or is not a JSON object (a torn write, a hand edit). */
export interface UnreadableRun {
  readonly run: string;
  readonly file: string;
  readonly reason: string;
}
