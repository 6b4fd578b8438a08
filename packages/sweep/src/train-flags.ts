import { checkTrainOptionValue } from '@peft/recipes';

/**
 * The `peft train` options a sweep file may set for its jobs (under `train:`) are all those of `peft train` with a
 * value, checked by `peft train`'s own parsers (`checkTrainOptionValue` of @peft/recipes): a value the command line
 * refuses, the sweep refuses, with the same message. The options a sweep decides itself are not among them.
 */
export const SWEEP_DECIDES: Readonly<Record<string, string>> = {
  model: 'model',
  preset: 'presets',
  seed: 'seeds',
  data: 'data',
  out: 'out',
  resume: "the worker's",
  events: "the worker's",
};

export type TrainFlagValue = number | string;

/** Checks one option's value; returns it normalised (numbers as numbers) or a sentence saying what is wrong. */
export function checkTrainFlag(name: string, value: unknown): { ok: TrainFlagValue } | { error: string } {
  const decided = SWEEP_DECIDES[name];
  if (decided) return { error: `is set by the sweep (its ${decided}${decided.startsWith('the') ? ' option' : ' field'}), not under train` };
  return checkTrainOptionValue(name, value);
}

/** A seed of the sweep, checked as `peft train --seed` checks it. */
export function checkSeed(value: unknown): { ok: number } | { error: string } {
  const r = checkTrainOptionValue('seed', value);
  return 'error' in r ? r : { ok: r.ok as number };
}
