import { basename, join } from 'node:path';
import { ConfigError, toFileSystemError, writeFileAtomic } from '@peft/core';
import { isCausalLm, isClassifier, type PeftModel } from '@peft/models-base';
import { findDataDir } from '../data/data-folder.js';
import { RunInterruptedError, UsageError } from '../errors.js';
import { getPreset } from '../presets.js';
import { RECIPES, type Recipe } from '../recipes.js';
import { renderReport } from '../report/markdown.js';
import { renderVegaLite } from '../report/render-chart.js';
import { smoothingWindow, trainingChartSpec } from '../report/training-chart.js';
import { JsonlLog } from './jsonl.js';
import { loadModelAndTokenizer } from './load-model.js';
import { OutputDir } from './out-dir.js';
import { requireFile } from './paths.js';
import { prepareNlg } from './prepare-nlg.js';
import { prepareNlu } from './prepare-nlu.js';
import { Progress } from './progress.js';
import type { ParameterCounts, Prepared, RunContext, TrainingSubsetBleu, TrainSettings } from './run-context.js';

export type { TrainSettings } from './run-context.js';


export interface TrainSummary {
  readonly out: string;
  readonly steps: number;
  readonly metrics: Record<string, number | string>;
  readonly firstLoss: number;
  readonly lastLoss: number;
}


/**
 * `peft train <task>`: the recipe's data, model, method, loop, adapter, log and report. File-system failures anywhere
 * in the run surface as a FileSystemError naming the path and errno; SIGINT/SIGTERM while training end the step under
 * way, write a checkpoint and throw a {@link RunInterruptedError} that says how to resume.
 */
export async function runTrain(s: TrainSettings): Promise<TrainSummary> {
  try {
    return await runTrainUnmapped(s);
  } catch (e) {
    throw toFileSystemError(e);
  }
}

async function runTrainUnmapped(settings: TrainSettings): Promise<TrainSummary> {
  let s = settings;
  const log = s.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const recipe = RECIPES[s.task];
  if (!recipe) throw new UsageError(`unknown task '${s.task}' (webnlg, coqa, sst2, mnli)`);
  const presetName = s.preset ?? recipe.defaultPreset;
  const preset = getPreset(presetName);
  if (preset.family !== recipe.family) {
    throw new ConfigError('preset', `'${presetName}' is an ${preset.family.toUpperCase()} preset; ${s.task} needs an ${recipe.family.toUpperCase()} one`);
  }
  const seed = s.seed ?? recipe.seed;
  const out = new OutputDir(s.out, s.resume ?? false, log);
  const dir = await out.open();
  if (s.resume && !out.canResume()) {
    log(`${dir}: the interrupted run wrote no checkpoint; starting it at step 0`);
    s = { ...s, resume: false };
  }
  let prepared: Prepared;
  try {
    prepared = await prepare(s, recipe, presetName, seed, log);
  } catch (e) {
    out.discard();
    throw e;
  }
  try {
    const counts = prepared.parameters;
    log(`train ${s.task}: ${prepared.trainSize} examples (${prepared.skipped} longer than the limit skipped), preset ${presetName}; parameters ${describeCounts(counts)}`);
    const ev = s.events;
    ev?.emit({ type: 'started', task: s.task, preset: presetName, model: s.modelDir, out: s.out, seed, total_steps: prepared.totalSteps, train_examples: prepared.trainSize, resume: s.resume ?? false });
    const jsonl = new JsonlLog(join(dir, 'train.jsonl'), log);
    if (!s.resume) jsonl.reset();
    const subsetBefore = s.scoreTrainingSubset && !s.resume ? await scoreSubset(prepared, log, 'before training') : undefined;
    let progress: Progress | null = null;
    const stop = stopOnSignals(log);
    const result = await prepared.trainSteps({
      checkpointDir: dir,
      stop: stop.signal,
      onResume: async (step) => {
        await jsonl.truncateAfter(step);
        log(`resumed from step ${step}`);
        ev?.emit({ type: 'resumed', step });
      },
      onSkippedStep: (step, what) => {
        log(`step ${step}: ${what} is not finite; update skipped (--on-nonfinite skip-step)`);
        jsonl.write({ type: 'skipped', step, reason: `${what} is not finite` });
      },
      onStep: (l) => {
        progress ??= new Progress(prepared.totalSteps);
        progress.update(l);
        jsonl.write({ type: 'step', step: l.step, epoch: l.epoch, loss: l.loss, lr: l.lr, grad_norm: l.gradNorm, tokens: l.tokens, seconds: l.seconds });
        ev?.emit({ type: 'step', step: l.step, total_steps: prepared.totalSteps, epoch: l.epoch, loss: l.loss, lr: l.lr });
      },
      onBest: async (v) => {
        await prepared.saveAdapter(join(dir, 'adapter'));
        log(`new best ${v.name} ${v.value.toFixed(4)}: adapter saved`);
      },
      onEpoch: (v, epoch, step) => {
        jsonl.write({ type: 'validation', epoch, step, ...(v ? { [v.name]: v.value } : {}) });
        if (v) ev?.emit({ type: 'evaluated', step, epoch, metrics: { [v.name]: v.value, ...v.extra } });
      },
      onCheckpoint: (step) => ev?.emit({ type: 'checkpoint', step, path: dir }),
    }).finally(() => stop.dispose());
    if (result.interrupted) throw new RunInterruptedError(stop.received()!, result.steps, resumeCommand(s));
    const records = jsonl.read();
    const losses = records.filter((r) => r.type === 'step' && typeof r.loss === 'number').map((r) => ({ step: r.step as number, loss: r.loss as number, lr: r.lr as number }));
    const validations = records
      .filter((r) => r.type === 'validation' && typeof r[recipe.metric] === 'number')
      .map((r) => ({ step: r.step as number, value: r[recipe.metric] as number }));
    const metrics = await prepared.evaluate(dir);
    if (s.scoreTrainingSubset) {
      const after = await scoreSubset(prepared, log, 'after training');
      if (after) {
        if (subsetBefore) metrics[`training-subset BLEU before training`] = subsetBefore.bleu;
        metrics[`training-subset BLEU after training`] = after.bleu;
        metrics['training-subset entries'] = after.entries;
      }
    }
    const first = mean(losses.slice(0, 10).map((l) => l.loss));
    const last = mean(losses.slice(-10).map((l) => l.loss));
    const batchSize = s.batchSize ?? recipe.batchSize;
    const lr = s.lr ?? recipe.lr;
    await writeFileAtomic(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    const chart = await renderVegaLite(
      trainingChartSpec({
        title: `peft train ${s.task} — ${presetName}`,
        subtitle: `${basename(s.modelDir)} · ${result.steps} steps · batch ${batchSize}${s.gradAccumulation && s.gradAccumulation > 1 ? ` × ${s.gradAccumulation}` : ''} · peak lr ${lr} · seed ${seed}`,
        steps: losses,
        validations,
        validationName: recipe.metric,
      }),
    );
    await writeFileAtomic(join(dir, CHART_FILES.svg), chart.svg);
    await writeFileAtomic(join(dir, CHART_FILES.png), chart.png);
    await writeFileAtomic(
      join(dir, 'report.md'),
      renderReport({
        title: `peft train ${s.task} — ${presetName}`,
        settings: {
          task: s.task, preset: presetName, model: s.modelDir, steps: result.steps, seed, 'batch size': batchSize, lr,
          'training examples': prepared.trainSize,
        },
        parameters: counts,
        metrics,
        loss: { firstMean: first, lastMean: last },
        validation: validations.length
          ? { name: recipe.metric, first: validations[0]!.value, last: validations[validations.length - 1]!.value, best: bestOf(validations.map((v) => v.value), recipe.metric === 'accuracy') }
          : undefined,
        chart: CHART_FILES,
        smoothingWindow: smoothingWindow(losses.length),
      }),
    );
    out.commit();
    log(`done: ${result.steps} steps, loss ${first.toFixed(4)} → ${last.toFixed(4)}; output in ${s.out}`);
    ev?.emit({ type: 'finished', out: s.out, steps: result.steps, metrics, first_loss: first, last_loss: last });
    return { out: s.out, steps: result.steps, metrics, firstLoss: first, lastLoss: last };
  } finally {
    prepared.dispose();
  }
}

/** The run folder's chart files. */
export const CHART_FILES = { svg: 'loss.svg', png: 'loss.png' } as const;

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function bestOf(xs: number[], higherIsBetter: boolean): number {
  return higherIsBetter ? Math.max(...xs) : Math.min(...xs);
}

const pct = (n: number, base: number): string => `${((100 * n) / base).toPrecision(3)} %`;

/** `trained 8,008 (0.14 % of the base) + 384 task-token rows, stored 8,008 (0.14 %)`. */
export function describeCounts(c: ParameterCounts): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const extra = c.extraTrained ? ` + ${n(c.extraTrained)} task-token embedding values` : '';
  return `trained ${n(c.trained)} (${pct(c.trained, c.base)} of the base)${extra}, stored ${n(c.stored)} (${pct(c.stored, c.base)})${extra ? ' + the same task-token values' : ''}`;
}

/** Scores the training subset, when the task can; logs and returns the score. */
async function scoreSubset(prepared: Prepared, log: (l: string) => void, when: string): Promise<TrainingSubsetBleu | undefined> {
  if (!prepared.trainingSubsetBleu) return undefined;
  const r = await prepared.trainingSubsetBleu();
  log(`BLEU on the ${r.entries} training entries (${r.examples} examples) ${when}: ${r.bleu.toFixed(2)}; first decode: "${r.sample}"`);
  return r;
}

async function prepare(s: TrainSettings, recipe: Recipe, presetName: string, seed: number, log: (l: string) => void): Promise<Prepared> {
  const wantTest = recipe.files.test !== undefined && (s.testEntries ?? 1) > 0;
  const data = findDataDir(s.task, [recipe.files.train, recipe.files.valid, ...(wantTest ? [recipe.files.test!] : [])], s.dataDir);
  const files = {
    train: requireFile(join(data, recipe.files.train), `${s.task} training file`),
    valid: requireFile(join(data, recipe.files.valid), `${s.task} validation file`),
    test: recipe.files.test && wantTest ? requireFile(join(data, recipe.files.test), `${s.task} test file`) : undefined,
  };
  const { model, tok } = await loadModelAndTokenizer(s.modelDir, recipe.family === 'nlu' ? { numLabels: s.task === 'mnli' ? 3 : 2, seed } : {});
  const batchSize = s.batchSize ?? recipe.batchSize;
  const lr = s.lr ?? recipe.lr;
  const epochs = s.epochs ?? recipe.epochs;
  const loopBase = {
    seed, epochs, batchSize, gradAccumulation: s.gradAccumulation ?? 1, optimizer: recipe.optimizer,
    schedule: (T: number) => recipe.schedule(lr, T, s.warmup), maxGradNorm: recipe.maxGradNorm,
    ...((s.patience ?? recipe.patience) ? { patience: s.patience ?? recipe.patience } : {}),
    checkpointEvery: s.checkpointEvery ?? 100, resume: s.resume ?? false, onNonFinite: s.onNonFinite ?? 'stop',
    ...(s.maxSteps !== undefined ? { maxSteps: s.maxSteps } : {}),
  };
  const totalFor = (n: number): number => {
    const perEpoch = Math.ceil(Math.ceil(n / batchSize) / (s.gradAccumulation ?? 1));
    return Math.min(perEpoch * epochs, s.maxSteps ?? Infinity);
  };
  const ctx: RunContext = { s, recipe, presetName, seed, log, files, batchSize, loopBase, totalFor };
  if (recipe.family === 'nlg') {
    if (!isCausalLm(model)) throw badModel(s.modelDir, model, 'a causal language model (GPT-2)');
    return prepareNlg(ctx, model, tok);
  }
  if (!isClassifier(model)) throw badModel(s.modelDir, model, 'a sequence classifier (RoBERTa)');
  return prepareNlu(ctx, model, tok);
}

function badModel(dir: string, model: PeftModel, want: string): ConfigError {
  model.dispose();
  return new ConfigError('model', `${dir} holds a ${model.architecture} model; this task needs ${want}`);
}

/**
 * SIGINT/SIGTERM while training: the first aborts `signal` (the loop ends its step and checkpoints); the handlers are
 * then removed, so a second signal ends the process at once (a checkpoint on disk is always whole).
 */
function stopOnSignals(log: (line: string) => void): { signal: AbortSignal; received: () => NodeJS.Signals | null; dispose: () => void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const dispose = (): void => {
    for (const sig of signals) process.off(sig, onSignal);
  };
  function onSignal(sig: NodeJS.Signals): void {
    received = sig;
    dispose();
    log(`${sig}: stopping after the step under way and writing a checkpoint (send it again to stop at once)`);
    controller.abort();
  }
  for (const sig of signals) process.on(sig, onSignal);
  return { signal: controller.signal, received: () => received, dispose };
}

/** The command that continues this run: the user's own command line (when known) with `--out` made explicit and `--resume`. */
export function resumeCommand(s: TrainSettings): string {
  const args = [...(s.commandLine ?? ['train', s.task, '--model', s.modelDir, ...(s.dataDir ? ['--data', s.dataDir] : [])])];
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--out') i++;
    else if (!a.startsWith('--out=') && a !== '--resume') kept.push(a);
  }
  return ['peft', ...kept, '--out', s.out, '--resume'].map(shellQuote).join(' ');
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
