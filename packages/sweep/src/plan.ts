import { join } from 'node:path';
import type { TaskName } from '@peft/recipes';
import { paperPresets, paperSeeds, paperTrainFlags } from './paper-defaults.js';
import type { SweepSpec } from './sweep-file.js';
import type { TrainFlagValue } from './train-flags.js';

/** One run of the grid: what a worker needs to run `peft train` for it, anywhere. */
export interface SweepJob {
  /** `<sweep>/<run>`: the queue's job id (adding it twice adds it once). */
  readonly id: string;
  readonly sweep: string;
  /** `<task>-<preset>-s<seed>`: the run's folder under the output root. */
  readonly run: string;
  readonly task: TaskName;
  readonly preset: string;
  readonly seed: number;
  readonly model: string;
  readonly data?: string;
  /** The shared output root (a worker may mount it elsewhere: `peft worker --root`). */
  readonly root: string;
  /** Every `peft train` option of the run: the paper's per task and preset, then the file's. */
  readonly flags: Readonly<Record<string, TrainFlagValue>>;
}

/** The sweep's jobs: tasks × presets × seeds, in file order. */
export function planSweep(spec: SweepSpec): SweepJob[] {
  const jobs: SweepJob[] = [];
  for (const t of spec.tasks) {
    for (const preset of t.presets ?? paperPresets(t.task)) {
      for (const seed of t.seeds ?? paperSeeds(t.task)) {
        const run = runName(t.task, preset, seed);
        const model = spec.models[t.task]!;
        jobs.push({
          id: `${spec.name}/${run}`,
          sweep: spec.name,
          run,
          task: t.task,
          preset,
          seed,
          model,
          ...(spec.data ? { data: spec.data } : {}),
          root: spec.out,
          flags: { ...paperTrainFlags(t.task, preset), ...spec.train, ...t.train },
        });
      }
    }
  }
  return jobs;
}

export function runName(task: TaskName, preset: string, seed: number): string {
  return `${task}-${preset}-s${seed}`;
}

/** The arguments of `peft train` for a job (after the program), writing into `<root>/<run>`. */
export function trainArgs(job: SweepJob, root: string = job.root, resume = false): string[] {
  const args = ['train', job.task, '--model', job.model, ...(job.data ? ['--data', job.data] : []), '--preset', job.preset, '--seed', String(job.seed)];
  for (const [k, v] of Object.entries(job.flags)) args.push(`--${k}`, String(v));
  args.push('--out', join(root, job.run));
  if (resume) args.push('--resume');
  return args;
}

/** The plan as a table (one line per job) and notes on cells that cannot give a standard deviation. */
export function formatPlan(spec: SweepSpec, jobs: readonly SweepJob[]): string {
  const lines = [`sweep '${spec.name}': ${jobs.length} jobs into ${spec.out}`, 'job\ttask\tpreset\tseed\toptions'];
  for (const j of jobs) lines.push(`${j.run}\t${j.task}\t${j.preset}\t${j.seed}\t${Object.entries(j.flags).map(([k, v]) => `--${k} ${v}`).join(' ')}`);
  const cells = new Map<string, number>();
  for (const j of jobs) cells.set(`${j.task} × ${j.preset}`, (cells.get(`${j.task} × ${j.preset}`) ?? 0) + 1);
  const single = [...cells].filter(([, n]) => n < 2).map(([c]) => c);
  if (single.length) lines.push(`note: one seed only for ${single.join(', ')}: no standard deviation or significance test there (add seeds)`);
  return lines.join('\n');
}

