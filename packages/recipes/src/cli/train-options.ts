import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { choiceField, fieldDoc, integerField, numberField, showValue, textField, withDoc, type SameType, type Schema } from '@peft/core';
import { RECIPES, TASKS, type TaskName } from '../recipes.js';
import { ON_NON_FINITE } from '../train/finite.js';
import { flagOption, schemaParser, valueOption } from './option-parsers.js';
import type { TrainSettings } from './run-context.js';
import type { Option } from 'commander';

/**
 * The one definition of `peft train`'s options: each field is a setting of {@link TrainSettings} (its key), with its
 * flag (the key in kebab case unless `flag` says otherwise), the value it accepts, its meaning and its default in
 * words. From it come the command's options and `--help` ({@link trainOptions}), the check of a sweep file's `train:`
 * values ({@link checkTrainOptionValue}, @peft/sweep), the options table of docs/recipes.md (`npm run docs:options`)
 * and the mapping from the parsed command line to the settings ({@link trainSettings}).
 */
export const TRAIN_OPTIONS_SCHEMA = z.strictObject({
  modelDir: withDoc(textField('dir'), { flag: 'model', placeholder: 'dir', required: true, description: 'Hugging Face checkpoint folder (a causal LM for webnlg/coqa: GPT-2 or a Llama-family model; RoBERTa for sst2/mnli)' }),
  preset: withDoc(z.optional(textField('name')), { placeholder: 'name', description: 'method preset (peft presets lists them)', defaultText: byTask((t) => RECIPES[t].defaultPreset) }),
  dataDir: withDoc(z.optional(textField('dir')), { flag: 'data', placeholder: 'dir', description: 'data folder', defaultText: '$PEFT_DATA, else the cache of peft data get' }),
  out: withDoc(z.optional(textField('dir')), { placeholder: 'dir', description: 'run folder to write', defaultText: 'runs/<task>-<time>' }),
  epochs: withDoc(z.optional(integerField({ min: 1 })), { placeholder: 'int', description: 'passes over the training set', defaultText: byTask((t) => RECIPES[t].epochs) }),
  maxSteps: withDoc(z.optional(integerField({ min: 1 })), { placeholder: 'int', description: 'stop after this many optimizer steps', defaultText: 'no limit' }),
  batchSize: withDoc(z.optional(integerField({ min: 1 })), { placeholder: 'int', description: "examples per micro-batch (the paper's NLG runs: 8 = 4 GPUs × 2)", defaultText: byTask((t) => RECIPES[t].batchSize) }),
  lr: withDoc(z.optional(numberField({ above: 0 })), { placeholder: 'number', description: 'peak learning rate', defaultText: byTask((t) => RECIPES[t].lr) }),
  seed: withDoc(z.optional(integerField({ min: 0 })), { placeholder: 'int', description: "seed of the method's init, the dropout masks and the data order", defaultText: byTask((t) => RECIPES[t].seed) }),
  resume: withDoc(z.optional(z.boolean()), { expects: 'flag', description: 'continue OUT.partial from its last checkpoint (same arguments)' }),
  warmup: withDoc(z.optional(integerField({ min: 0 })), { placeholder: 'int', description: 'NLG: ignite warm-up duration; NLU: warm-up steps', defaultText: 'NLG 500, NLU ⌈0.06·T⌉' }),
  gradAccumulation: withDoc(z.optional(integerField({ min: 1 })), { flag: 'accum', placeholder: 'int', description: 'micro-batches per optimizer step (gradient accumulation)', defaultText: '1' }),
  padding: withDoc(z.optional(choiceField(['global', 'batch'])), { placeholder: 'mode', description: 'pad each split to its longest sequence (the reference) or each batch to its own', defaultText: 'global' }),
  onNonFinite: withDoc(z.optional(choiceField(ON_NON_FINITE)), {
    flag: 'on-nonfinite',
    placeholder: 'mode',
    description: 'a step with a NaN or infinite loss or gradient: stop the run (keeping its last good checkpoint) or skip that update (5 in a row stop it)',
    defaultText: 'stop',
  }),
  checkpointEvery: withDoc(z.optional(integerField({ min: 1 })), { placeholder: 'int', description: 'optimizer steps between checkpoints (and at every epoch end)', defaultText: '100' }),
  maxTrainExamples: withDoc(z.optional(integerField({ min: 1 })), { placeholder: 'int', description: 'use only the first N training examples', defaultText: 'all' }),
  maxValidExamples: withDoc(z.optional(integerField({ min: 1 })), { placeholder: 'int', description: 'use only the first N validation examples', defaultText: 'all; NLU the first 1600, as the reference' }),
  testEntries: withDoc(z.optional(integerField({ min: 0 })), { placeholder: 'int', description: 'decode and score the first N test entries (CoQA: dev stories) at the end; 0 = none', defaultText: 'webnlg all, coqa 20' }),
  maxLength: withDoc(z.optional(integerField({ min: 8 })), { placeholder: 'int', description: 'drop examples longer than this many tokens', defaultText: "the model's limit" }),
  labelSmoothing: withDoc(z.optional(numberField({ min: 0, below: 1 })), { placeholder: 'number', description: 'label smoothing of the LM loss', defaultText: byTask((t) => RECIPES[t].labelSmoothing) }),
  patience: withDoc(z.optional(integerField({ min: 0 })), { placeholder: 'int', description: 'epochs without validation improvement before stopping; 0 = never stop early', defaultText: 'NLG 5, NLU 0' }),
  checkpointBlocks: withDoc(z.optional(z.union([choiceField(['all', 'none']), integerField({ min: 0 })], { error: 'must be all, none or a block count' })), {
    placeholder: 'k',
    expects: 'all, none or a block count',
    must: 'all, none or a block count',
    description: 'blocks (GPT-2) or layers (RoBERTa) rematerialised in the backward pass: same gradients, less memory',
    defaultText: "as many as the backend's memory needs",
  }),
  events: withDoc(z.optional(textField('file')), {
    placeholder: 'file',
    description: "append the run's events (started, step, checkpoint, evaluated, finished, failed) to FILE as JSON lines, for programs (docs/recipes.md)",
    defaultText: 'none',
  }),
});

/** The options as parsed: each setting's value, by its {@link TrainSettings} name. */
export type TrainOptionValues = z.output<typeof TRAIN_OPTIONS_SCHEMA>;

// The options are the settings of the same name (`events` is a file name here, the log it opens there).
true satisfies SameType<Omit<TrainOptionValues, 'events' | 'out'>, Pick<TrainSettings, Exclude<keyof TrainOptionValues, 'events' | 'out'>>>;

type OptionKey = keyof TrainOptionValues;

/** What each option's `.meta()` holds beyond the value's words. */
interface OptionMeta {
  readonly flag?: string;
  readonly placeholder?: string;
  readonly required?: boolean;
  readonly description?: string;
  readonly defaultText?: string;
  readonly expects?: string;
}

/** One option of `peft train`: its setting, flag name (`max-steps`), schema and docs. */
export interface TrainOptionInfo {
  readonly key: OptionKey;
  readonly flag: string;
  readonly schema: Schema;
  readonly meta: OptionMeta;
  readonly isFlag: boolean;
}

/** Every option of `peft train`, in `--help` order. */
export function trainOptionInfos(): TrainOptionInfo[] {
  return (Object.entries(TRAIN_OPTIONS_SCHEMA.shape) as [OptionKey, Schema][]).map(([key, schema]) => {
    const meta = fieldDoc(schema) as OptionMeta;
    return { key, flag: meta.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), schema, meta, isFlag: meta.expects === 'flag' };
  });
}

/** The option of a flag name (`max-steps`), or undefined. */
export function trainOptionByFlag(flag: string): TrainOptionInfo | undefined {
  return trainOptionInfos().find((o) => o.flag === flag);
}

/** Every option of `peft train` as commander Options, built afresh on each call from {@link TRAIN_OPTIONS_SCHEMA}. */
export function trainOptions(): Option[] {
  return trainOptionInfos().map((o) => {
    if (o.isFlag) return flagOption(`--${o.flag}`, o.meta.description ?? '');
    const opt = valueOption(`--${o.flag} <${o.meta.placeholder ?? 'value'}>`, o.meta.description ?? '', {
      parse: schemaParser(`--${o.flag}`, o.schema),
      ...(o.meta.defaultText !== undefined ? { defaultText: o.meta.defaultText } : {}),
    });
    return o.meta.required ? opt.makeOptionMandatory() : opt;
  });
}

/**
 * Checks one value of a `peft train` option given by its flag name (`max-steps`) exactly as the command line does
 * (the same parser: a number is taken as its decimal text, as YAML and JSON give it). Returns the parsed value or the
 * sentence saying what is wrong (`--lr must be a number > 0, got 0`).
 */
export function checkTrainOptionValue(name: string, value: unknown): { ok: number | string } | { error: string } {
  const o = trainOptionByFlag(name);
  if (!o || o.isFlag) return { error: 'is not an option of peft train with a value (peft train --help lists them)' };
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : null;
  const parse = schemaParser(`--${o.flag}`, o.schema);
  if (text === null) return { error: `--${o.flag} ${parse.must}, got ${showValue(value)}` };
  const r = parse.check(text);
  return 'error' in r ? { error: `${r.error}, got ${showValue(value)}` } : { ok: r.ok as number | string };
}

/** The options of a command line as commander parsed them (keyed by its attribute names: `maxSteps`, `onNonfinite`), by setting. */
export function trainOptionValues(opts: Readonly<Record<string, unknown>>): Partial<TrainOptionValues> {
  const out: Record<string, unknown> = {};
  for (const o of trainOptionInfos()) {
    const v = opts[o.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (v !== undefined) out[o.key] = v;
  }
  return out as Partial<TrainOptionValues>;
}

/** The settings of a `peft train` command line: its options' values and the task. */
export function trainSettings(task: TaskName, o: Partial<TrainOptionValues>): Omit<TrainSettings, 'log'> {
  const { events: _events, ...settings } = o;
  return {
    ...settings,
    task,
    resume: o.resume ?? false,
    modelDir: resolve(o.modelDir!),
    out: resolve(o.out ?? join('runs', `${task}-${timestamp()}`)),
  };
}

/** `20250101-120000`, for default run folder names. */
export function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

/** The recipe's value of a setting for each task, for `--help` ("webnlg, coqa 1.25e-3; sst2, mnli 2e-4"). */
function byTask(pick: (task: TaskName) => string | number): string {
  const groups = new Map<string, TaskName[]>();
  for (const t of TASKS) {
    const v = String(pick(t));
    groups.set(v, [...(groups.get(v) ?? []), t]);
  }
  return groups.size === 1 ? `the recipe's, ${[...groups.keys()][0]}` : `the recipe's: ${[...groups].map(([v, ts]) => `${ts.join(', ')} ${v}`).join('; ')}`;
}
