import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, writeFileAtomic } from '@peft/core';
import { Gpt2Model, RobertaModel, loadModel, loadTokenizer, type LoadedModel } from '@peft/models-gpt2-roberta';
import { UsageError } from '../errors.js';
import { getPreset } from '../presets.js';
import { RECIPES, type Recipe } from '../recipes.js';
import { renderReport } from '../report/markdown.js';
import { lossAndLrPlot } from '../report/plot.js';
import type { NlgTokenizer } from '../task/nlg.js';
import { JsonlLog } from './jsonl.js';
import { OutputDir } from './out-dir.js';
import { dataRoot, requireFile } from './paths.js';
import { prepareNlg } from './prepare-nlg.js';
import { prepareNlu } from './prepare-nlu.js';
import { Progress } from './progress.js';
import type { Prepared, RunContext, TrainSettings } from './run-context.js';

export type { TrainSettings } from './run-context.js';


export interface TrainSummary {
  readonly out: string;
  readonly steps: number;
  readonly metrics: Record<string, number | string>;
  readonly firstLoss: number;
  readonly lastLoss: number;
}


/** `peft train <task>`: the recipe's data, model, method, loop, adapter, log and report. */
export async function runTrain(s: TrainSettings): Promise<TrainSummary> {
  const log = s.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const recipe = RECIPES[s.task];
  if (!recipe) throw new UsageError(`unknown task '${s.task}' (webnlg, coqa, sst2, mnli)`);
  const presetName = s.preset ?? recipe.defaultPreset;
  const preset = getPreset(presetName);
  if (preset.family !== recipe.family) {
    throw new ConfigError('preset', `'${presetName}' is an ${preset.family.toUpperCase()} preset; ${s.task} needs an ${recipe.family.toUpperCase()} one`);
  }
  const seed = s.seed ?? recipe.seed;
  const out = new OutputDir(s.out, s.resume ?? false);
  const dir = out.open();
  let prepared: Prepared;
  try {
    prepared = await prepare(s, recipe, presetName, seed, log);
  } catch (e) {
    out.discard();
    throw e;
  }
  try {
    log(`train ${s.task}: ${prepared.trainSize} examples (${prepared.skipped} longer than the limit skipped), preset ${presetName}, ${prepared.trainableCount} trainable parameters`);
    const jsonl = new JsonlLog(join(dir, 'train.jsonl'));
    if (!s.resume) writeFileSync(jsonl.path, '');
    const losses: { step: number; loss: number; lr: number }[] = [];
    let progress: Progress | null = null;
    const result = await prepared.trainSteps({
      checkpointDir: dir,
      onResume: (step) => {
        jsonl.truncateAfter(step);
        log(`resumed from step ${step}`);
      },
      onStep: (l) => {
        progress ??= new Progress(prepared.totalSteps);
        progress.update(l);
        jsonl.write({ type: 'step', step: l.step, epoch: l.epoch, loss: l.loss, lr: l.lr, grad_norm: l.gradNorm, tokens: l.tokens, seconds: l.seconds });
      },
      onBest: async (v) => {
        await prepared.saveAdapter(join(dir, 'adapter'));
        log(`new best ${v.name} ${v.value.toFixed(4)}: adapter saved`);
      },
      onEpoch: (v, epoch) => {
        jsonl.write({ type: 'validation', epoch, step: -1, ...(v ? { [v.name]: v.value } : {}) });
      },
    });
    for (const r of jsonl.read()) if (r.type === 'step') losses.push({ step: r.step as number, loss: r.loss as number, lr: r.lr as number });
    const metrics = await prepared.evaluate(dir);
    const first = mean(losses.slice(0, 10).map((l) => l.loss));
    const last = mean(losses.slice(-10).map((l) => l.loss));
    await writeFileAtomic(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    await writeFileAtomic(join(dir, 'loss.png'), lossAndLrPlot(losses.map((l) => l.step), losses.map((l) => l.loss), losses.map((l) => l.lr)));
    const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
    await writeFileAtomic(
      join(dir, 'report.md'),
      renderReport({
        title: `peft train ${s.task} — ${presetName}`,
        settings: {
          task: s.task, preset: presetName, model: s.modelDir, steps: result.steps, seed, 'batch size': s.batchSize ?? recipe.batchSize,
          lr: s.lr ?? recipe.lr, 'trainable parameters': prepared.trainableCount, 'training examples': prepared.trainSize,
        },
        metrics,
        loss: { firstMean: first, lastMean: last },
        lossRange: range(losses.map((l) => l.loss)),
        lrRange: range(losses.map((l) => l.lr)),
        plotFile: 'loss.png',
      }),
    );
    out.commit();
    log(`done: ${result.steps} steps, loss ${first.toFixed(4)} → ${last.toFixed(4)}; output in ${s.out}`);
    return { out: s.out, steps: result.steps, metrics, firstLoss: first, lastLoss: last };
  } finally {
    prepared.dispose();
  }
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

async function prepare(s: TrainSettings, recipe: Recipe, presetName: string, seed: number, log: (l: string) => void): Promise<Prepared> {
  const data = dataRoot(s.dataDir);
  const files = {
    train: requireFile(join(data, recipe.files.train), `${s.task} training file`),
    valid: requireFile(join(data, recipe.files.valid), `${s.task} validation file`),
    test: recipe.files.test && (s.testEntries ?? 1) > 0 ? requireFile(join(data, recipe.files.test), `${s.task} test file`) : undefined,
  };
  const model = await loadModel(s.modelDir, recipe.family === 'nlu' ? { numLabels: s.task === 'mnli' ? 3 : 2, seed } : {});
  const tok = (await loadTokenizer(s.modelDir)) as unknown as NlgTokenizer;
  const batchSize = s.batchSize ?? recipe.batchSize;
  const lr = s.lr ?? recipe.lr;
  const epochs = s.epochs ?? recipe.epochs;
  const loopBase = {
    seed, epochs, batchSize, gradAccumulation: s.gradAccumulation ?? 1, optimizer: recipe.optimizer,
    schedule: (T: number) => recipe.schedule(lr, T, s.warmup), maxGradNorm: recipe.maxGradNorm,
    ...((s.patience ?? recipe.patience) ? { patience: s.patience ?? recipe.patience } : {}),
    checkpointEvery: s.checkpointEvery ?? 100, resume: s.resume ?? false,
    ...(s.maxSteps !== undefined ? { maxSteps: s.maxSteps } : {}),
  };
  const totalFor = (n: number): number => {
    const perEpoch = Math.ceil(Math.ceil(n / batchSize) / (s.gradAccumulation ?? 1));
    return Math.min(perEpoch * epochs, s.maxSteps ?? Infinity);
  };
  const ctx: RunContext = { s, recipe, presetName, seed, log, files, batchSize, loopBase, totalFor };
  if (recipe.family === 'nlg') {
    if (!(model instanceof Gpt2Model)) throw badModel(s.modelDir, model, 'GPT-2');
    return prepareNlg(ctx, model, tok);
  }
  if (!(model instanceof RobertaModel)) throw badModel(s.modelDir, model, 'RoBERTa');
  return prepareNlu(ctx, model, tok);
}

function badModel(dir: string, model: LoadedModel, want: string): ConfigError {
  model.dispose();
  return new ConfigError('model', `${dir} holds a ${model.architecture} model; this task needs ${want}`);
}
