import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attach, ConfigError, writeFileAtomic, type TunedModel } from '@peft/core';
import { Gpt2Model, RobertaModel, loadModel, loadTokenizer, type LoadedModel } from '@peft/models-gpt2-roberta';
import { classifierSplit, lmSplit, type PaddingMode } from '../data/batching.js';
import { loadCoqa } from '../data/coqa.js';
import { readJsonFile } from '../data/read-file.js';
import { buildCoqaSequence } from '../data/coqa-sequence.js';
import { loadMnli, loadSst2, type GlueExample } from '../data/glue.js';
import { buildGlueInput } from '../data/glue-sequence.js';
import type { LmExample } from '../data/lm-example.js';
import { STOP_TOKENS } from '../data/special-tokens.js';
import { groupEntries, type WebnlgExample } from '../data/webnlg-examples.js';
import { loadWebnlgJson } from '../data/webnlg-json.js';
import { buildWebnlgSequence } from '../data/webnlg-sequence.js';
import { UsageError } from '../errors.js';
import { getPreset } from '../presets.js';
import { NLU_EVAL_SAMPLES, RECIPES, type Recipe, type TaskName } from '../recipes.js';
import { lossAndLrPlot } from '../report/plot.js';
import { renderReport } from '../report/markdown.js';
import { trainLoop, type StepLog, type Validation } from '../train/loop.js';
import { addTaskTokens, decodePrompts, nlgTrainable, padId, perplexity, saveTaskEmbeddings, type NlgTokenizer } from '../task/nlg.js';
import { accuracyOf, nluTrainable } from '../task/nlu.js';
import { JsonlLog } from './jsonl.js';
import { OutputDir } from './out-dir.js';
import { dataRoot, requireFile } from './paths.js';
import { Progress } from './progress.js';
import { scoreWebnlgSubset, scoreCoqaPredictions } from './scores.js';

export interface TrainSettings {
  readonly task: TaskName;
  readonly preset?: string;
  readonly modelDir: string;
  readonly dataDir?: string;
  readonly out: string;
  readonly epochs?: number;
  readonly maxSteps?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly seed?: number;
  readonly resume?: boolean;
  /** NLG: ignite warm-up duration (spec 500); NLU: warm-up steps (spec ceil(0.06·T)). */
  readonly warmup?: number;
  readonly gradAccumulation?: number;
  readonly padding?: PaddingMode;
  readonly checkpointEvery?: number;
  /** Use only the first N training / validation examples, and decode the first N test entries (N = 0: none). */
  readonly maxTrainExamples?: number;
  readonly maxValidExamples?: number;
  readonly testEntries?: number;
  /** Drop examples longer than this many tokens (the model's position limit always applies). */
  readonly maxLength?: number;
  readonly labelSmoothing?: number;
  /** Epochs without validation improvement before stopping; default the recipe's (NLG 5), 0 = never stop early. */
  readonly patience?: number;
  readonly log?: (line: string) => void;
}

export interface TrainSummary {
  readonly out: string;
  readonly steps: number;
  readonly metrics: Record<string, number | string>;
  readonly firstLoss: number;
  readonly lastLoss: number;
}

interface Prepared {
  readonly trainSteps: (o: { checkpointDir: string; onStep: (l: StepLog) => void; onResume: (step: number) => void; onBest: (v: Validation) => Promise<void>; onEpoch: (v: Validation | undefined, epoch: number) => void }) => Promise<{ steps: number }>;
  readonly evaluate: (outDir: string) => Promise<Record<string, number | string>>;
  readonly saveAdapter: (dir: string) => Promise<void>;
  readonly trainableCount: number;
  readonly skipped: number;
  readonly trainSize: number;
  readonly dispose: () => void;
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
        progress ??= new Progress(totalOf(l));
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

  function totalOf(_l: StepLog): number {
    return totalStepsHint;
  }
}

let totalStepsHint = 0;

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
  const setTotal = (n: number): void => {
    const perEpoch = Math.ceil(Math.ceil(n / batchSize) / (s.gradAccumulation ?? 1));
    totalStepsHint = Math.min(perEpoch * epochs, s.maxSteps ?? Infinity);
  };
  if (recipe.family === 'nlg') {
    if (!(model instanceof Gpt2Model)) throw badModel(s.modelDir, model, 'GPT-2');
    addTaskTokens(model, tok, seed);
    const limit = Math.min(s.maxLength ?? Infinity, model.config.nPositions - 32);
    let skipped = 0;
    const fit = (xs: LmExample[], max = Infinity): LmExample[] => {
      const out: LmExample[] = [];
      for (const x of xs) {
        if (out.length >= max) break;
        if (x.inputIds.length > limit) skipped++;
        else out.push(x);
      }
      return out;
    };
    let trainEx: LmExample[];
    let validEx: LmExample[];
    let testPrompts: { prompts: LmExample[]; refs: string[][]; ids?: { id: string; turn_id: number }[] } | null = null;
    let coqaGold: unknown = null;
    if (s.task === 'webnlg') {
      const seq = (e: WebnlgExample): LmExample => buildWebnlgSequence(tok, e.triples, e.target);
      trainEx = fit(lazyMap(loadWebnlgJson(files.train), seq, s.maxTrainExamples, limit), s.maxTrainExamples);
      validEx = fit(lazyMap(loadWebnlgJson(files.valid), seq, s.maxValidExamples, limit), s.maxValidExamples);
      if (files.test) {
        const entries = groupEntries(loadWebnlgJson(files.test)).slice(0, s.testEntries ?? Infinity);
        testPrompts = { prompts: entries.map((e) => buildWebnlgSequence(tok, e.triples, [], false)), refs: entries.map((e) => [...e.references]) };
      }
    } else {
      const seq = (t: { story: string; history: readonly string[]; answer: string }): LmExample => buildCoqaSequence(tok, t.story, t.history, t.answer);
      trainEx = fit(loadCoqa(files.train).map(seq), s.maxTrainExamples);
      const dev = loadCoqa(files.valid);
      validEx = fit(dev.map(seq), s.maxValidExamples);
      // decode every turn of the first N dev stories, scored by the official CoQA evaluation on those stories
      const devDoc = readJsonFile(files.valid) as { version?: string; data: { id: string }[] };
      const stories = devDoc.data.slice(0, s.testEntries ?? 20);
      const keep = new Set(stories.map((x) => x.id));
      const turns = dev.filter((t) => keep.has(t.storyId));
      coqaGold = { version: devDoc.version ?? '1.0', data: stories };
      scoreCoqaPredictions(coqaGold, []); // checks the gold format now, before any training
      testPrompts = {
        prompts: turns.map((t) => buildCoqaSequence(tok, t.story, t.history, [], { withEos: false })),
        refs: turns.map((t) => [...t.goldAnswers]),
        ids: turns.map((t) => ({ id: t.storyId, turn_id: t.turnId })),
      };
    }
    if (!trainEx.length) throw new ConfigError('data', `no ${s.task} training example fits in ${limit} tokens`);
    setTotal(trainEx.length);
    const pad = padId(tok);
    const train = lmSplit(trainEx, pad, s.padding ?? 'global');
    const valid = lmSplit(validEx, pad, s.padding ?? 'global');
    const tuned: TunedModel = attach(model, getPreset(presetName).build(), { seed });
    const trainable = nlgTrainable(model, tuned, s.labelSmoothing ?? recipe.labelSmoothing);
    const count = trainable.parameters.reduce((a, [, v]) => a + v.size, 0);
    return {
      trainSize: trainEx.length,
      skipped,
      trainableCount: count,
      trainSteps: (o) =>
        trainLoop({
          ...loopBase, trainable,
          data: { size: train.size, batch: (i) => train.batch(i), tokens: (b) => b.batchSize * b.length },
          checkpointDir: o.checkpointDir, onStep: o.onStep, onResume: (st) => o.onResume(st.step), onBest: (v) => o.onBest(v),
          onEpoch: (e) => o.onEpoch(e.validation, e.epoch),
          validate: () => perplexity(model, valid, Math.max(batchSize, 8)),
        }),
      saveAdapter: async (dir) => {
        await tuned.save(dir);
        await saveTaskEmbeddings(model, dir);
      },
      evaluate: async (outDir) => {
        const metrics: Record<string, number | string> = { 'validation perplexity (last)': perplexity(model, valid, Math.max(batchSize, 8)).value };
        if (testPrompts && testPrompts.prompts.length) {
          log(`decoding ${testPrompts.prompts.length} ${s.task === 'webnlg' ? 'test entries' : 'dev turns'} (greedy, ≤ 40 tokens)…`);
          const hyps = decodePrompts(model, tok, testPrompts.prompts, STOP_TOKENS[s.task as 'webnlg' | 'coqa']);
          writeFileSync(join(outDir, 'hypotheses.txt'), hyps.join('\n') + '\n');
          if (s.task === 'webnlg') Object.assign(metrics, scoreWebnlgSubset(hyps, testPrompts.refs));
          else {
            const preds = testPrompts.ids!.map((k, i) => ({ ...k, answer: hyps[i]! }));
            writeFileSync(join(outDir, 'predictions.json'), JSON.stringify(preds, null, 1) + '\n');
            Object.assign(metrics, scoreCoqaPredictions(coqaGold, preds));
          }
        }
        return metrics;
      },
      dispose: () => {
        tuned.dispose();
        model.dispose();
      },
    };
  }
  // NLU
  if (!(model instanceof RobertaModel)) throw badModel(s.modelDir, model, 'RoBERTa');
  const load = s.task === 'sst2' ? loadSst2 : loadMnli;
  const maxLen = Math.min(512, model.config.maxPositions - 2); // RoBERTa positions start after the padding index
  const toInput = (e: GlueExample) => buildGlueInput(tok, e, { maxLength: Math.min(maxLen, s.maxLength ?? Infinity) });
  const trainEx = load(files.train).slice(0, s.maxTrainExamples ?? Infinity).map(toInput);
  const validEx = load(files.valid).slice(0, s.maxValidExamples ?? NLU_EVAL_SAMPLES).map(toInput);
  const mm = s.task === 'mnli' && files.test ? load(files.test).slice(0, s.maxValidExamples ?? Infinity).map(toInput) : null;
  if (!trainEx.length) throw new ConfigError('data', `${files.train} has no examples`);
  for (const [file, xs] of [[files.train, trainEx], [files.valid, validEx]] as const) {
    const bad = xs.find((x) => x.label >= model.numLabels);
    if (bad) throw new ConfigError('label', `${file}: label ${bad.label} but the model's head has ${model.numLabels} classes`);
  }
  setTotal(trainEx.length);
  const pad = tok.tokenToId('<pad>') ?? 1;
  const train = classifierSplit(trainEx, pad, s.padding ?? 'global');
  const valid = classifierSplit(validEx, pad, s.padding ?? 'global');
  const tuned: TunedModel = attach(model, getPreset(presetName).build(), { seed });
  const trainable = nluTrainable(model, tuned);
  return {
    trainSize: trainEx.length,
    skipped: 0,
    trainableCount: trainable.parameters.reduce((a, [, v]) => a + v.size, 0),
    trainSteps: (o) =>
      trainLoop({
        ...loopBase, trainable,
        data: { size: train.size, batch: (i) => train.batch(i), tokens: (b) => b.batchSize * b.length },
        checkpointDir: o.checkpointDir, onStep: o.onStep, onResume: (st) => o.onResume(st.step), onBest: (v) => o.onBest(v),
        onEpoch: (e) => o.onEpoch(e.validation, e.epoch),
        validate: () => accuracyOf(model, valid, Math.max(batchSize, 16)),
      }),
    saveAdapter: (dir) => tuned.save(dir),
    evaluate: async () => {
      const m: Record<string, number | string> = { accuracy: accuracyOf(model, valid, Math.max(batchSize, 16)).value };
      if (mm) m['accuracy (mismatched)'] = accuracyOf(model, classifierSplit(mm, pad, 'batch'), 16).value;
      return m;
    },
    dispose: () => {
      tuned.dispose();
      model.dispose();
    },
  };
}

/** Maps lazily and stops early once `max` results fit (saves tokenising all of WebNLG for a small subset). */
function lazyMap<A>(xs: readonly A[], f: (a: A) => LmExample, max: number | undefined, limit: number): LmExample[] {
  if (max === undefined) return xs.map(f);
  const out: LmExample[] = [];
  let fitting = 0;
  for (const x of xs) {
    const y = f(x);
    out.push(y);
    if (y.inputIds.length <= limit && ++fitting >= max) break;
  }
  return out;
}

function badModel(dir: string, model: LoadedModel, want: string): ConfigError {
  model.dispose();
  return new ConfigError('model', `${dir} holds a ${model.architecture} model; this task needs ${want}`);
}
