import { NLG_ADAMW, NLU_ADAMW, type AdamWConfig } from './train/adamw.js';
import { ignitePiecewiseWithWarmup, nluWarmupSteps, polynomialWithWarmup, type LrSchedule } from './train/schedule.js';

export type TaskName = 'webnlg' | 'coqa' | 'sst2' | 'mnli';
export const TASKS: readonly TaskName[] = ['webnlg', 'coqa', 'sst2', 'mnli'];

/** A recipe is data: the spec's hyper-parameters for one task (§6), and where its data lives. */
export interface Recipe {
  readonly task: TaskName;
  readonly family: 'nlg' | 'nlu';
  readonly defaultPreset: string;
  /** Per-process batch (KA runs 4 GPUs for NLG; see README for the effective batch). */
  readonly batchSize: number;
  readonly lr: number;
  readonly epochs: number;
  readonly optimizer: AdamWConfig;
  /** The schedule, given the run's optimizer steps T and the warm-up (NLG: ignite duration, NLU: from the ratio). */
  readonly schedule: (lr: number, totalSteps: number, warmup?: number) => LrSchedule;
  readonly labelSmoothing: number;
  readonly maxGradNorm: number;
  /** Epochs without improvement of the validation metric before stopping. */
  readonly patience?: number;
  readonly metric: 'perplexity' | 'accuracy';
  readonly seed: number;
  /** Files relative to the data folder. */
  readonly files: { readonly train: string; readonly valid: string; readonly test?: string };
}

const nlgSchedule = (lr: number, T: number, warmup = 500): LrSchedule => ignitePiecewiseWithWarmup(lr, T, warmup);
const nluSchedule = (lr: number, T: number, warmup?: number): LrSchedule =>
  polynomialWithWarmup(lr, T, warmup ?? nluWarmupSteps(T), 1, 1e-7);

export const RECIPES: Readonly<Record<TaskName, Recipe>> = {
  webnlg: {
    task: 'webnlg', family: 'nlg', defaultPreset: 'inducer-lora', batchSize: 2, lr: 1.25e-3, epochs: 10,
    optimizer: NLG_ADAMW, schedule: nlgSchedule, labelSmoothing: 0.1, maxGradNorm: 1, patience: 5, metric: 'perplexity', seed: 123,
    files: { train: 'webnlg/webnlg_challenge_2017/train.json', valid: 'webnlg/webnlg_challenge_2017/dev.json', test: 'webnlg/webnlg_challenge_2017/test.json' },
  },
  coqa: {
    task: 'coqa', family: 'nlg', defaultPreset: 'inducer-lora', batchSize: 2, lr: 1.25e-3, epochs: 10,
    optimizer: NLG_ADAMW, schedule: nlgSchedule, labelSmoothing: 0.1, maxGradNorm: 1, patience: 5, metric: 'perplexity', seed: 123,
    files: { train: 'coqa/coqa-train-v1.0.json', valid: 'coqa/coqa-dev-v1.0.json' },
  },
  sst2: {
    task: 'sst2', family: 'nlu', defaultPreset: 'nlu-inducer-lora', batchSize: 16, lr: 2e-4, epochs: 10,
    optimizer: NLU_ADAMW, schedule: nluSchedule, labelSmoothing: 0, maxGradNorm: 1, metric: 'accuracy', seed: 42,
    files: { train: 'sst2/SST-2/train.tsv', valid: 'sst2/SST-2/dev.tsv' },
  },
  mnli: {
    task: 'mnli', family: 'nlu', defaultPreset: 'nlu-inducer-lora', batchSize: 16, lr: 2e-4, epochs: 10,
    optimizer: NLU_ADAMW, schedule: nluSchedule, labelSmoothing: 0, maxGradNorm: 1, metric: 'accuracy', seed: 42,
    files: { train: 'mnli/MNLI/train.tsv', valid: 'mnli/MNLI/dev_matched.tsv', test: 'mnli/MNLI/dev_mismatched.tsv' },
  },
};

/** The reference evaluates NLU model selection on the first 1600 validation examples (spec §6.2). */
export const NLU_EVAL_SAMPLES = 1600;
