// The training page's training, with no DOM: LoRA on GPT-2's W_q and W_v, trained by @peft/recipes' own loop
// (`trainLoop`: AdamW in Hugging Face's order of operations, global-norm clipping, dropout seeded per step) on a few
// lines of text. It runs wherever tfjs does: the page on WebGPU or WebGL, its Node test on the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { EVAL_CONTEXT, attach, type TunedModel } from '@peft/core';
import { lora } from '@peft/lora';
import { lmLoss, type Gpt2Model, type Gpt2Tokenizer } from '@peft/models-gpt2-roberta';
import { NLG_ADAMW, constantSchedule, lmSplit, trainLoop, type LmBatch, type StepLog, type Trainable } from '@peft/recipes';

export interface FineTuneOptions {
  /** The text to learn, one training example per line (blank lines are skipped). */
  readonly lines: readonly string[];
  /** Optimizer steps; every step sees every line (one batch), so a step is an epoch. */
  readonly steps: number;
  /** AdamW's constant learning rate. */
  readonly lr: number;
  /** Seeds LoRA's initial A and the dropout masks. */
  readonly seed: number;
  readonly rank: number;
  readonly alpha: number;
  /**
   * Dropout at the checkpoint's rates (GPT-2: 0.1) while training. Default off: the recipes' regulariser for data sets
   * of thousands of examples only slows the memorising of a few lines down.
   */
  readonly dropout?: boolean;
  /** After each step, awaited: a page repaints its chart here (the loop does not go on until it resolves). */
  readonly onStep?: (log: StepLog) => void | Promise<void>;
}

/** The page's LoRA: rank 8, α 16 (scaling 2), A drawn from seed 7 — example 04's. */
export const PAGE_LORA = { seed: 7, rank: 8, alpha: 16 } as const;

export interface FineTuneResult {
  readonly tuned: TunedModel<Gpt2Model>;
  /** The training loss of each step (the mean over the batch's labelled tokens, with dropout on). */
  readonly losses: number[];
}

/** The examples of `lines`: every token is a label (plain language modelling, no prompt part). */
function examplesOf(lines: readonly string[], tokenizer: Gpt2Tokenizer) {
  const examples = lines
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((line) => {
      const ids = tokenizer.encode(line);
      return { inputIds: ids, tokenTypeIds: ids.map(() => 0), labels: ids };
    });
  if (examples.length === 0) throw new Error('nothing to learn: every line of the text is blank');
  const short = examples.findIndex((e) => e.inputIds.length < 2);
  if (short >= 0) throw new Error(`line ${short + 1} is a single token: a line needs two tokens to predict one from the other`);
  return examples;
}

/**
 * The loop's view of the model: the method's variables and the shifted LM loss of the batch. (The recipes'
 * `nlgTrainable` also feeds token types, the task segments of spec §7.1, which plain text does not have.)
 */
function lmTrainable(model: Gpt2Model, tuned: TunedModel<Gpt2Model>, dropout: boolean): Trainable<LmBatch> {
  return {
    parameters: tuned.instance.params.entries(),
    loss: (batch, ctx) =>
      tf.tidy(() => {
        const shape: [number, number] = [batch.batchSize, batch.length];
        const inputIds = tf.tensor2d(batch.inputIds, shape, 'int32'); // [B, n]
        const labels = tf.tensor2d(batch.labels, shape, 'int32'); // [B, n], −100 on padding
        const { hidden } = model.forward({ inputIds, ctx: dropout ? ctx : EVAL_CONTEXT });
        return lmLoss(model, hidden, labels);
      }),
  };
}

/** Throws, naming the setting, unless `steps` and `lr` can be trained with (a page checks before it starts). */
export function checkFineTuneSettings(options: Pick<FineTuneOptions, 'steps' | 'lr'>): void {
  if (!(Number.isInteger(options.steps) && options.steps >= 1)) throw new Error(`steps must be a whole number ≥ 1, got ${options.steps}`);
  if (!(options.lr > 0 && Number.isFinite(options.lr))) throw new Error(`the learning rate must be a positive number, got ${options.lr}`);
}

/** Attaches a fresh LoRA to `model` and trains it on `lines`; the caller owns (and disposes) the returned adapter. */
export async function fineTune(model: Gpt2Model, tokenizer: Gpt2Tokenizer, options: FineTuneOptions): Promise<FineTuneResult> {
  checkFineTuneSettings(options);
  const examples = examplesOf(options.lines, tokenizer);
  // Padding sits after each line's last token and is never a label, so its id does not matter (0).
  const data = lmSplit(examples, 0, 'batch');
  const tuned = attach(model, lora({ sites: ['attn.q', 'attn.v'], rank: options.rank, alpha: options.alpha }), { seed: options.seed });
  const losses: number[] = [];
  let last: StepLog | undefined;
  try {
    await trainLoop({
      trainable: lmTrainable(model, tuned, options.dropout ?? false),
      data: { size: data.size, batch: (indices) => data.batch(indices), tokens: (b) => b.labelCount },
      seed: options.seed,
      epochs: options.steps,
      batchSize: data.size, // one batch of every line: one step per epoch
      optimizer: NLG_ADAMW,
      schedule: () => constantSchedule(options.lr),
      maxGradNorm: 1, // spec §6: clip at 1.0
      onStep: (log) => {
        losses.push(log.loss);
        last = log;
      },
      onEpoch: async () => {
        if (last) await options.onStep?.(last);
      },
    });
  } catch (e) {
    tuned.dispose();
    throw e;
  }
  return { tuned, losses };
}
