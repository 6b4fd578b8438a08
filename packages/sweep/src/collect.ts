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
 * `peft train` succeeded); `missing` lists the runs not finished (yet).
 */
export function collectRuns(jobs: readonly SweepJob[], root?: string): { runs: FinishedRun[]; missing: string[] } {
  const runs: FinishedRun[] = [];
  const missing: string[] = [];
  for (const job of jobs) {
    const file = join(root ?? job.root, job.run, 'metrics.json');
    if (!existsSync(file)) {
      missing.push(job.run);
      continue;
    }
    runs.push({ job, metrics: JSON.parse(readFileSync(file, 'utf8')) as Record<string, number | string> });
  }
  return { runs, missing };
}
