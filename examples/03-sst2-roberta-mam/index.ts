// Example 3: SST-2 on RoBERTa with the paper's MAM inducer preset (inducer + LoRA-Q + parallel FFN adapter), a few
// optimizer steps with the recipe's AdamW, schedule and clipping — from the API, no command line.
//   cd examples/03-sst2-roberta-mam && npx tsx index.ts [steps]
// Data: GLUE SST-2 (sst2/SST-2/{train,dev}.tsv) from the data folder every peft command reads: $PEFT_DATA, else the
// cache that `npx peft data get sst2` fills (docs/recipes.md). The tiny RoBERTa of test-fixtures/ stands in for roberta-base: pass `modelDir` for the real one.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { attach, EVAL_CONTEXT, loadAdapter, selectBackend } from '@peft/core';
import { getPreset } from '@peft/mam';
import { loadRoberta, loadRobertaTokenizer } from '@peft/models-gpt2-roberta';
import {
  RECIPES,
  accuracyOf,
  buildGlueInput,
  classifierSplit,
  findDataDir,
  loadSst2,
  nluTrainable,
  sequentialBatches,
  trainLoop,
  type ClassifierBatch,
  type StepLog,
  type Trainable,
} from '@peft/recipes';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
export const TINY_ROBERTA = here('../../test-fixtures/tiny-roberta');
/** The folder holding SST-2/{train,dev}.tsv: `<data folder>/sst2`, the data folder found as `peft train` finds it. */
export const sst2Dir = (): string => join(findDataDir('sst2', [RECIPES.sst2.files.train, RECIPES.sst2.files.valid]), 'sst2');

export interface Sst2Options {
  readonly modelDir?: string;
  /** The folder that holds SST-2/train.tsv and SST-2/dev.tsv. */
  readonly dataDir?: string;
  /** Optimizer steps (default 20). */
  readonly steps?: number;
  /** Training examples to use, from the top of train.tsv (default 16 × steps, one pass). */
  readonly trainExamples?: number;
  /** Dev examples to score (default 200; the reference selects on the first 1600). */
  readonly devExamples?: number;
  readonly batchSize?: number;
  /** Peak learning rate (the recipe's 2e-4 by default). */
  readonly lr?: number;
  /** Where the adapter goes (default: a temporary folder). */
  readonly out?: string;
  /** Backends `selectBackend` may pick (default: the fastest installed). */
  readonly backends?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface Sst2Result {
  readonly trainable: number;
  readonly steps: number;
  readonly losses: readonly number[];
  /** Mean loss on the training examples (eval mode) before and after training. */
  readonly trainLoss: readonly [number, number];
  readonly devAccuracy: number;
  readonly adapterDir: string;
  /** Dev accuracy of the saved adapter loaded into a fresh model (equals devAccuracy). */
  readonly reloadedAccuracy: number;
}

/** Mean loss of a split in eval mode (no dropout). */
async function meanLoss(trainable: Trainable<ClassifierBatch>, split: ReturnType<typeof classifierSplit>, batchSize: number): Promise<number> {
  let sum = 0;
  for (const idx of sequentialBatches(split.size, batchSize)) {
    const loss = trainable.loss(split.batch(idx), EVAL_CONTEXT);
    sum += (await loss.data())[0]! * idx.length;
    loss.dispose();
  }
  return sum / split.size;
}

export async function main(options: Sst2Options = {}): Promise<Sst2Result> {
  const log = options.log ?? console.log;
  const { backend } = await selectBackend(options.backends ? { only: options.backends } : {});
  const modelDir = options.modelDir ?? TINY_ROBERTA;
  const dataDir = options.dataDir ?? sst2Dir();
  const recipe = RECIPES.sst2; // spec §6.2 as data: batch 16, lr 2e-4, AdamW (0.9, 0.98, wd 0.1), warm-up 6 %, clip 1, seed 42
  const steps = options.steps ?? 20;
  const batchSize = options.batchSize ?? recipe.batchSize;
  const lr = options.lr ?? recipe.lr;
  const seed = recipe.seed;

  // 1. Model, tokenizer and the preset: `nlu-inducer-mam` = inducer (r_k 2, r_v 2) + LoRA-Q r 4 + parallel FFN adapter 12.
  const model = await loadRoberta(modelDir, { numLabels: 2, seed });
  const tokenizer = await loadRobertaTokenizer(modelDir);
  const preset = getPreset('nlu-inducer-mam');
  const tuned = attach(model, preset.build(), { seed });
  const count = tuned.trainableParameters().total;
  log(`backend ${backend}; ${tuned.method.describe()}: ${count} trainable parameters`);

  // 2. Data: <s> sentence </s>, cut to the model's positions, each batch padded to its longest row.
  const maxLength = Math.min(128, model.config.maxPositions - 2);
  const encode = (file: string, n: number) =>
    loadSst2(join(dataDir, 'SST-2', file)).slice(0, n).map((ex) => buildGlueInput(tokenizer, ex, { maxLength }));
  const padId = tokenizer.tokenToId('<pad>')!;
  const train = classifierSplit(encode('train.tsv', options.trainExamples ?? batchSize * steps), padId, 'batch');
  const dev = classifierSplit(encode('dev.tsv', options.devExamples ?? 200), padId, 'batch');
  log(`SST-2: ${train.size} training and ${dev.size} dev examples from ${dataDir}`);

  // 3. The recipes' loop: AdamW (β 0.9/0.98, wd 0.1), linear warm-up 6 % then linear decay, clipping at 1.0.
  // nluTrainable = the method's variables (RoBERTa and its head stay frozen) + cross-entropy of the <s> head.
  const trainable = nluTrainable(model, tuned);
  const before = await meanLoss(trainable, train, batchSize);
  const losses: number[] = [];
  const result = await trainLoop<ClassifierBatch>({
    trainable,
    data: train,
    seed,
    epochs: Math.ceil(steps / Math.ceil(train.size / batchSize)), // as many passes as `steps` needs
    maxSteps: steps,
    batchSize,
    optimizer: recipe.optimizer,
    schedule: (total) => recipe.schedule(lr, total),
    maxGradNorm: recipe.maxGradNorm,
    onStep: (s: StepLog) => {
      losses.push(s.loss);
      log(`step ${String(s.step).padStart(3)}  loss ${s.loss.toFixed(4)}  lr ${s.lr.toExponential(2)}  ${(s.seconds * 1000).toFixed(0)} ms`);
    },
  });
  const after = await meanLoss(trainable, train, batchSize);
  log(`mean loss on the training examples: ${before.toFixed(4)} → ${after.toFixed(4)}`);
  const devAccuracy = (await accuracyOf(model, dev, batchSize)).value;
  log(`dev accuracy after ${result.steps} steps: ${(100 * devAccuracy).toFixed(1)} % on ${dev.size} examples`);

  // 4. The adapter is a few kB: save it, load it into a fresh RoBERTa, and check it predicts the same.
  const adapterDir = options.out ?? join(await mkTemp(), 'sst2-adapter');
  await tuned.save(adapterDir);
  tuned.dispose();
  model.dispose();
  const fresh = await loadRoberta(modelDir, { numLabels: 2, seed });
  const reloaded = await loadAdapter(adapterDir, fresh);
  const reloadedAccuracy = (await accuracyOf(fresh, dev, batchSize)).value;
  log(`adapter saved to ${adapterDir}; reloaded into a fresh model: ${(100 * reloadedAccuracy).toFixed(1)} %`);
  reloaded.dispose();
  fresh.dispose();
  return { trainable: count, steps: result.steps, losses, trainLoss: [before, after], devAccuracy, adapterDir, reloadedAccuracy };
}

async function mkTemp(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  return mkdtemp(join(tmpdir(), 'peft-sst2-'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2] ? { steps: Number(process.argv[2]) } : {});
}
