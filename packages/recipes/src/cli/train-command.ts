import { join, resolve } from 'node:path';
import { Argument, Command, InvalidArgumentError, type Option } from 'commander';
import { RECIPES, TASKS, type TaskName } from '../recipes.js';
import { ON_NON_FINITE, type OnNonFinite } from '../train/finite.js';
import { useTrainingBackend } from './backend.js';
import { flagOption, integerParser, numberParser, valueOption, type CliIo, type OptionParser } from './option-parsers.js';
import { TrainEventLog, failureKind } from '../train/events.js';
import { runTrain, type TrainSettings, type TrainSummary } from './train.js';

/** `peft train <task>`: a preset trained on a task with the spec's recipe (README "peft train"). */
export function registerTrainCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('train')
    .summary('train a preset on a task with the paper\'s recipe; writes a run folder')
    .description(
      'Trains a preset on a task with the spec\'s recipe (§6) and writes OUT/: the adapter of the best validation ' +
        'epoch, train.jsonl, metrics.json, report.md and the training curves (loss.svg, loss.png). Prints one JSON ' +
        'object on stdout. Defaults marked "the recipe\'s" come from the task: see docs/recipes.md.',
    )
    .addArgument(new Argument('<task>', 'the task').choices(TASKS));
  addTrainOptions(cmd);
  cmd.action(async (task: TaskName, opts: TrainOptions, command: Command) => {
    const events = opts.events ? new TrainEventLog(resolve(opts.events)) : undefined;
    try {
      const settings = { ...trainSettings(task, opts), commandLine: (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [] };
      const r = await runTrain({ ...settings, ...(await useTrainingBackend(settings, io.err)), log: io.err, ...(events ? { events } : {}) });
      io.out(JSON.stringify(summaryJson(r)));
    } catch (e) {
      events?.emit({ type: 'failed', kind: failureKind(e), code: (e as { code?: string }).code ?? null, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      events?.close();
    }
  });
}

/** The JSON line `peft train` and `peft demo` print. */
export function summaryJson(r: TrainSummary): Record<string, unknown> {
  return { out: r.out, steps: r.steps, first_loss: r.firstLoss, last_loss: r.lastLoss, metrics: r.metrics };
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

interface TrainOptions {
  model: string;
  preset?: string;
  data?: string;
  out?: string;
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  resume?: boolean;
  warmup?: number;
  accum?: number;
  padding?: 'global' | 'batch';
  checkpointEvery?: number;
  maxTrainExamples?: number;
  maxValidExamples?: number;
  testEntries?: number;
  maxLength?: number;
  labelSmoothing?: number;
  patience?: number;
  checkpointBlocks?: 'all' | 'none' | number;
  onNonfinite?: OnNonFinite;
  events?: string;
}

/** `--checkpoint-blocks all|none|K`. */
const checkpointBlocksParser: OptionParser<'all' | 'none' | number> = Object.assign(
  (value: string): 'all' | 'none' | number => {
    if (value === 'all' || value === 'none') return value;
    if (/^\d+$/.test(value)) return Number(value);
    throw new InvalidArgumentError('--checkpoint-blocks must be all, none or a block count.');
  },
  { expects: 'all, none or a block count' },
);

/**
 * Every option of `peft train` as commander Options, built afresh on each call: the command adds them, and
 * {@link checkTrainOptionValue} checks a value with the very same parser and choices (the sweep's `train:` fields).
 */
export function trainOptions(): Option[] {
  return new Command()
    .addOption(valueOption('--model <dir>', 'Hugging Face checkpoint folder (GPT-2 for webnlg/coqa, RoBERTa for sst2/mnli)').makeOptionMandatory())
    .addOption(valueOption('--preset <name>', 'method preset (peft presets lists them)', { defaultText: byTask((t) => RECIPES[t].defaultPreset) }))
    .addOption(valueOption('--data <dir>', 'data folder', { defaultText: '$PEFT_DATA, else the cache of peft data get' }))
    .addOption(valueOption('--out <dir>', 'run folder to write', { defaultText: 'runs/<task>-<time>' }))
    .addOption(valueOption('--epochs <int>', 'passes over the training set', { parse: integerParser('--epochs', 1), defaultText: byTask((t) => RECIPES[t].epochs) }))
    .addOption(valueOption('--max-steps <int>', 'stop after this many optimizer steps', { parse: integerParser('--max-steps', 1), defaultText: 'no limit' }))
    .addOption(valueOption('--batch-size <int>', 'examples per micro-batch (the paper\'s NLG runs: 8 = 4 GPUs × 2)', { parse: integerParser('--batch-size', 1), defaultText: byTask((t) => RECIPES[t].batchSize) }))
    .addOption(valueOption('--lr <number>', 'peak learning rate', { parse: numberParser('--lr', { above: 0 }), defaultText: byTask((t) => RECIPES[t].lr) }))
    .addOption(valueOption('--seed <int>', 'seed of the method\'s init, the dropout masks and the data order', { parse: integerParser('--seed', 0), defaultText: byTask((t) => RECIPES[t].seed) }))
    .addOption(flagOption('--resume', 'continue OUT.partial from its last checkpoint (same arguments)'))
    .addOption(valueOption('--warmup <int>', 'NLG: ignite warm-up duration; NLU: warm-up steps', { parse: integerParser('--warmup', 0), defaultText: 'NLG 500, NLU ⌈0.06·T⌉' }))
    .addOption(valueOption('--accum <int>', 'micro-batches per optimizer step (gradient accumulation)', { parse: integerParser('--accum', 1), defaultText: '1' }))
    .addOption(valueOption('--padding <mode>', 'pad each split to its longest sequence (the reference) or each batch to its own', { choices: ['global', 'batch'], defaultText: 'global' }))
    .addOption(valueOption('--on-nonfinite <mode>', 'a step with a NaN or infinite loss or gradient: stop the run (keeping its last good checkpoint) or skip that update (5 in a row stop it)', { choices: [...ON_NON_FINITE], defaultText: 'stop' }))
    .addOption(valueOption('--checkpoint-every <int>', 'optimizer steps between checkpoints (and at every epoch end)', { parse: integerParser('--checkpoint-every', 1), defaultText: '100' }))
    .addOption(valueOption('--max-train-examples <int>', 'use only the first N training examples', { parse: integerParser('--max-train-examples', 1), defaultText: 'all' }))
    .addOption(valueOption('--max-valid-examples <int>', 'use only the first N validation examples', { parse: integerParser('--max-valid-examples', 1), defaultText: 'all; NLU the first 1600, as the reference' }))
    .addOption(valueOption('--test-entries <int>', 'decode and score the first N test entries (CoQA: dev stories) at the end; 0 = none', { parse: integerParser('--test-entries', 0), defaultText: 'webnlg all, coqa 20' }))
    .addOption(valueOption('--max-length <int>', 'drop examples longer than this many tokens', { parse: integerParser('--max-length', 8), defaultText: 'the model\'s limit' }))
    .addOption(valueOption('--label-smoothing <number>', 'label smoothing of the LM loss', { parse: numberParser('--label-smoothing', { min: 0, max: 1 }), defaultText: byTask((t) => RECIPES[t].labelSmoothing) }))
    .addOption(valueOption('--patience <int>', 'epochs without validation improvement before stopping; 0 = never stop early', { parse: integerParser('--patience', 0), defaultText: 'NLG 5, NLU 0' }))
    .addOption(
      valueOption('--checkpoint-blocks <k>', 'blocks (GPT-2) or layers (RoBERTa) rematerialised in the backward pass: same gradients, less memory', {
        parse: checkpointBlocksParser,
        defaultText: 'as many as the backend\'s memory needs',
      }),
    )
    .addOption(valueOption('--events <file>', 'append the run\'s events (started, step, checkpoint, evaluated, finished, failed) to FILE as JSON lines, for programs (docs/recipes.md)', { defaultText: 'none' }))
    .options.slice();
}

function addTrainOptions(cmd: Command): void {
  for (const o of trainOptions()) cmd.addOption(o);
}

/**
 * Checks one value of a `peft train` option given by its flag name (`max-steps`), as the command line would: the
 * same parser and choices. Numbers are taken as their decimal text (YAML/JSON give numbers). Returns the parsed value
 * or commander's message (`--lr must be a number > 0.`).
 */
export function checkTrainOptionValue(name: string, value: unknown): { ok: number | string } | { error: string } {
  const opt = trainOptions().find((o) => o.long === `--${name}`);
  if (!opt || opt.isBoolean()) return { error: 'is not an option of peft train with a value (peft train --help lists them)' };
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : null;
  const expects = (opt.parseArg as Partial<OptionParser<unknown>> | undefined)?.expects ?? (opt.argChoices ? `one of ${opt.argChoices.join(', ')}` : 'text');
  if (text === null) return { error: `must be ${expects}, got ${JSON.stringify(value)}` };
  if (opt.argChoices && !opt.argChoices.includes(text)) return { error: `got ${JSON.stringify(value)}: allowed choices are ${opt.argChoices.join(', ')}.` };
  try {
    return { ok: opt.parseArg ? ((opt.parseArg as (v: string, previous: unknown) => unknown)(text, undefined) as number | string) : text };
  } catch (e) {
    if (e instanceof InvalidArgumentError) return { error: `${e.message.replace(/\.$/, '')}, got ${JSON.stringify(value)}` };
    throw e;
  }
}

function trainSettings(task: TaskName, o: TrainOptions): Omit<TrainSettings, 'log'> {
  const s: Record<string, unknown> = {
    task,
    preset: o.preset,
    modelDir: resolve(o.model),
    dataDir: o.data,
    out: resolve(o.out ?? join('runs', `${task}-${timestamp()}`)),
    epochs: o.epochs,
    maxSteps: o.maxSteps,
    batchSize: o.batchSize,
    lr: o.lr,
    seed: o.seed,
    resume: o.resume ?? false,
    warmup: o.warmup,
    gradAccumulation: o.accum,
    padding: o.padding,
    checkpointEvery: o.checkpointEvery,
    maxTrainExamples: o.maxTrainExamples,
    maxValidExamples: o.maxValidExamples,
    testEntries: o.testEntries,
    maxLength: o.maxLength,
    labelSmoothing: o.labelSmoothing,
    checkpointBlocks: o.checkpointBlocks,
    patience: o.patience,
    onNonFinite: o.onNonfinite,
  };
  for (const k of Object.keys(s)) if (s[k] === undefined) delete s[k];
  return s as unknown as Omit<TrainSettings, 'log'>;
}

/** `20250101-120000`, for default run folder names. */
export function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}
