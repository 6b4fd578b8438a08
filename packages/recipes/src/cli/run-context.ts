import type { PaddingMode } from '../data/batching.js';
import type { Recipe, TaskName } from '../recipes.js';
import type { OnNonFinite } from '../train/finite.js';
import type { TrainEventLog } from '../train/events.js';
import type { TrainLoopOptions, StepLog, Validation } from '../train/loop.js';

/** What `peft train` was asked for (see the README for each option). */
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
  /**
   * Blocks (GPT-2) or layers (RoBERTa) rematerialised in the backward pass: 'all', 'none' or the first k. Default: what
   * the `peft` command's memory plan gives (as many kept as the backend's heap or the memory budget holds).
   */
  readonly checkpointBlocks?: 'all' | 'none' | number;
  /** Epochs without validation improvement before stopping; default the recipe's (NLG 5), 0 = never stop early. */
  readonly patience?: number;
  /** WebNLG: also score BLEU on the training subset before and after training (the demo does). */
  readonly scoreTrainingSubset?: boolean;
  /** A step with a non-finite loss or gradient: stop the run (default) or skip its update. */
  readonly onNonFinite?: OnNonFinite;
  /** The arguments of the `peft` command line that started the run (after `peft`), for the resume hint. */
  readonly commandLine?: readonly string[];
  readonly log?: (line: string) => void;
  /** Where the run's events go (`--events FILE`, train/events.ts). */
  readonly events?: TrainEventLog;
}

/** The loop options every recipe shares (the trainable, data, validation and callbacks are added per family). */
export type LoopBase = Pick<
  TrainLoopOptions<unknown>,
  'seed' | 'epochs' | 'batchSize' | 'gradAccumulation' | 'optimizer' | 'schedule' | 'maxGradNorm' | 'patience' | 'checkpointEvery' | 'resume' | 'maxSteps' | 'onNonFinite'
>;

/** Everything a family's preparation needs from the command. */
export interface RunContext {
  readonly s: TrainSettings;
  readonly recipe: Recipe;
  readonly presetName: string;
  readonly seed: number;
  readonly log: (line: string) => void;
  readonly files: { readonly train: string; readonly valid: string; readonly test: string | undefined };
  readonly batchSize: number;
  readonly loopBase: LoopBase;
  readonly totalFor: (trainExamples: number) => number;
}

/** A prepared run: how to train, evaluate and save, whatever the family. */
export interface Prepared {
  readonly trainSteps: (o: {
    checkpointDir: string;
    onStep: (l: StepLog) => void;
    onResume: (step: number) => void | Promise<void>;
    onBest: (v: Validation) => Promise<void>;
    onEpoch: (v: Validation | undefined, epoch: number, step: number) => void;
    onSkippedStep?: (step: number, what: string) => void;
    stop?: AbortSignal;
    onCheckpoint?: (step: number) => void;
  }) => Promise<{ steps: number; interrupted: boolean }>;
  readonly evaluate: (outDir: string) => Promise<Record<string, number | string>>;
  readonly saveAdapter: (dir: string) => Promise<void>;
  /**
   * WebNLG: BLEU of greedy decodes of the training entries the run fits, against the targets it trains on (what the
   * demo scores before and after training to show the adapter learned the subset).
   */
  readonly trainingSubsetBleu?: () => Promise<TrainingSubsetBleu>;
  /** Parameters of the method (trained, stored) and of the base model; `extraTrained`: the task-token rows (NLG). */
  readonly parameters: ParameterCounts;
  readonly skipped: number;
  readonly trainSize: number;
  /** Optimizer steps the run will take (for the progress bar). */
  readonly totalSteps: number;
  readonly dispose: () => void;
}

export interface ParameterCounts {
  readonly trained: number;
  readonly stored: number;
  readonly base: number;
  readonly extraTrained: number;
}

/** BLEU on the training subset: over `entries` triple sets (`examples` lexicalisations); `sample` is the first decode. */
export interface TrainingSubsetBleu {
  readonly bleu: number;
  readonly entries: number;
  readonly examples: number;
  readonly sample: string;
}

export type { PaddingMode, TaskName, StepLog, Validation };
