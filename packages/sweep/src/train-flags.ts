/**
 * The `peft train` options a sweep file may set for its jobs (under `train:`), with the values each accepts. The
 * options a sweep decides itself are not here: the task, `--preset` (presets), `--seed` (seeds), `--model` (models),
 * `--data` (data), `--out` (the output root) and `--resume` (the worker's).
 */
export type TrainFlagKind =
  | { readonly type: 'int'; readonly min: number }
  | { readonly type: 'number'; readonly min: number; readonly below?: number }
  | { readonly type: 'choice'; readonly values: readonly string[]; readonly orInt?: boolean };

export const TRAIN_FLAGS: Readonly<Record<string, TrainFlagKind>> = {
  epochs: { type: 'int', min: 1 },
  'max-steps': { type: 'int', min: 1 },
  'batch-size': { type: 'int', min: 1 },
  lr: { type: 'number', min: 0 },
  warmup: { type: 'int', min: 0 },
  accum: { type: 'int', min: 1 },
  padding: { type: 'choice', values: ['global', 'batch'] },
  'checkpoint-every': { type: 'int', min: 1 },
  'max-train-examples': { type: 'int', min: 1 },
  'max-valid-examples': { type: 'int', min: 1 },
  'test-entries': { type: 'int', min: 0 },
  'max-length': { type: 'int', min: 8 },
  'label-smoothing': { type: 'number', min: 0, below: 1 },
  patience: { type: 'int', min: 0 },
  'checkpoint-blocks': { type: 'choice', values: ['all', 'none'], orInt: true },
};

export type TrainFlagValue = number | string;

/**
 * Checks one option's value; returns it normalised (numbers as numbers) or a sentence saying what is wrong.
 * YAML and JSON give numbers as numbers; strings of digits are accepted too (`lr: "2e-4"`).
 */
export function checkTrainFlag(name: string, value: unknown): { ok: TrainFlagValue } | { error: string } {
  const kind = TRAIN_FLAGS[name];
  if (!kind) return { error: `is not an option of peft train a sweep can set (known: ${Object.keys(TRAIN_FLAGS).join(', ')})` };
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  switch (kind.type) {
    case 'int':
      if (!Number.isInteger(n) || n < kind.min) return { error: `must be an integer ≥ ${kind.min}, got ${JSON.stringify(value)}` };
      return { ok: n };
    case 'number':
      if (!Number.isFinite(n) || n < kind.min || (kind.below !== undefined && n >= kind.below)) {
        return { error: `must be a number ≥ ${kind.min}${kind.below !== undefined ? ` and < ${kind.below}` : ''}, got ${JSON.stringify(value)}` };
      }
      return { ok: n };
    case 'choice':
      if (typeof value === 'string' && kind.values.includes(value)) return { ok: value };
      if (kind.orInt && Number.isInteger(n) && n >= 0) return { ok: n };
      return { error: `must be ${kind.values.join(' or ')}${kind.orInt ? ' or a count ≥ 0' : ''}, got ${JSON.stringify(value)}` };
  }
}
