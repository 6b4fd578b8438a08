import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, trainingContext, type ForwardContext } from '@peft/core';
import { AdamW, type AdamWConfig } from './adamw.js';
import { readCheckpoint, writeCheckpoint, type LoopState } from './checkpoint.js';
import { clipByGlobalNorm } from './clip.js';
import { batchesPerEpoch, epochBatches } from './data-order.js';
import type { LrSchedule } from './schedule.js';

/** What the loop trains: named variables and a loss. Models, methods and recipes meet here. */
export interface Trainable<B> {
  /** The variables the optimiser updates, with stable names (weight-decay rules and checkpoints use them). */
  readonly parameters: readonly (readonly [string, tf.Variable])[];
  /** The mean loss of one batch in training mode (dropout drawn from `ctx`); a scalar the loop disposes. */
  loss(batch: B, ctx: ForwardContext): tf.Scalar;
}

/** A training split: its size and a batch builder from example indices. */
export interface TrainSource<B> {
  readonly size: number;
  batch(indices: readonly number[]): B;
  /** Tokens in a batch, for tokens/s (optional). */
  tokens?(batch: B): number;
}

/** A validation result: the spec's model-selection metric (NLG perplexity, lower is better; NLU accuracy). */
export interface Validation {
  readonly name: string;
  readonly value: number;
  readonly higherIsBetter: boolean;
  readonly extra?: Record<string, number>;
}

export interface StepLog {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  readonly tokens: number;
  readonly seconds: number;
}

export interface EpochLog {
  readonly epoch: number;
  readonly step: number;
  readonly validation?: Validation;
  readonly isBest: boolean;
}

export interface TrainLoopOptions<B> {
  readonly trainable: Trainable<B>;
  readonly data: TrainSource<B>;
  readonly seed: number;
  readonly epochs: number;
  /** Stop after this many optimizer steps (the schedule's T becomes min(T, maxSteps)). */
  readonly maxSteps?: number;
  readonly batchSize: number;
  /** Micro-batches per optimizer step (gradients averaged). Default 1. */
  readonly gradAccumulation?: number;
  readonly optimizer: AdamWConfig;
  /** Built from the run's total number of optimizer steps. */
  readonly schedule: (totalSteps: number) => LrSchedule;
  /** Global-norm clipping threshold (spec: 1.0); 0 or undefined disables it. */
  readonly maxGradNorm?: number;
  /** Where checkpoints go; none are written without it. */
  readonly checkpointDir?: string;
  /** Write a checkpoint every this many optimizer steps (and at every epoch end). */
  readonly checkpointEvery?: number;
  /** Continue from `checkpointDir`'s checkpoint. */
  readonly resume?: boolean;
  /** Run after each epoch (and after a `maxSteps` stop mid-epoch). */
  readonly validate?: () => Validation | Promise<Validation>;
  /** Epochs without improvement before stopping (spec NLG: 5). */
  readonly patience?: number;
  /** Called when validation improves, e.g. to save the best adapter. */
  readonly onBest?: (v: Validation, epoch: number) => void | Promise<void>;
  readonly onStep?: (log: StepLog) => void;
  readonly onEpoch?: (log: EpochLog) => void | Promise<void>;
  /** Called once after a resume with the restored step (to cut logs back to it). */
  readonly onResume?: (state: LoopState) => void | Promise<void>;
  /** Called after each checkpoint is written, with its step. */
  readonly onCheckpoint?: (step: number) => void;
}

export interface TrainResult {
  readonly steps: number;
  readonly totalSteps: number;
  readonly best: { readonly value: number; readonly epoch: number } | null;
  readonly stoppedEarly: boolean;
  readonly resumedFrom: number | null;
}

/**
 * The one training loop of every recipe: seeded data order, AdamW, the schedule, global-norm clipping, gradient
 * accumulation, dropout contexts keyed by (seed, micro-step), checkpoints (variables + moments + step + data-order state),
 * exact resume, validation, early stopping and best-checkpoint selection.
 */
export async function trainLoop<B>(o: TrainLoopOptions<B>): Promise<TrainResult> {
  const accum = o.gradAccumulation ?? 1;
  if (!(Number.isInteger(accum) && accum >= 1)) throw new ConfigError('gradAccumulation', `must be a positive integer, got ${accum}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new ConfigError('batchSize', `must be a positive integer, got ${o.batchSize}`);
  if (!(o.data.size > 0)) throw new ConfigError('data', 'the training split is empty');
  const microPerEpoch = batchesPerEpoch(o.data.size, o.batchSize);
  const stepsPerEpoch = Math.ceil(microPerEpoch / accum);
  const totalSteps = Math.min(o.epochs * stepsPerEpoch, o.maxSteps ?? Infinity);
  const lrAt = o.schedule(totalSteps);
  const optimizer = new AdamW(o.trainable.parameters, o.optimizer);
  const vars = o.trainable.parameters.map(([, v]) => v);

  let state: LoopState = {
    step: 0, epoch: 0, batchInEpoch: 0, seed: o.seed, totalSteps, best: null, badEpochs: 0, validatedEpochs: 0, done: false,
  };
  let resumedFrom: number | null = null;
  try {
    if (o.resume) {
      if (!o.checkpointDir) throw new ConfigError('resume', 'needs a checkpoint directory');
      state = await readCheckpoint(o.checkpointDir, optimizer);
      if (state.seed !== o.seed) throw new ConfigError('seed', `the checkpoint was trained with seed ${state.seed}, not ${o.seed}`);
      if (state.totalSteps !== totalSteps) {
        throw new ConfigError('totalSteps', `the checkpoint's run has ${state.totalSteps} steps, this one ${totalSteps} (same epochs, batch size, max steps and data are needed)`);
      }
      resumedFrom = state.step;
      await o.onResume?.(state);
    }
    const save = async (): Promise<void> => {
      if (o.checkpointDir) {
        await writeCheckpoint(o.checkpointDir, optimizer, state);
        o.onCheckpoint?.(state.step);
      }
    };
    let stoppedEarly = false;
    const runValidation = async (epochIndex: number): Promise<void> => {
      let isBest = false;
      let v: Validation | undefined;
      if (o.validate) {
        v = await o.validate();
        const better = state.best === null || (v.higherIsBetter ? v.value > state.best.value : v.value < state.best.value);
        if (better) {
          isBest = true;
          state = { ...state, best: { value: v.value, epoch: epochIndex }, badEpochs: 0 };
          await o.onBest?.(v, epochIndex);
        } else state = { ...state, badEpochs: state.badEpochs + 1 };
      }
      state = { ...state, validatedEpochs: state.validatedEpochs + 1 };
      await o.onEpoch?.({ epoch: epochIndex, step: state.step, validation: v, isBest });
      if (o.patience !== undefined && state.badEpochs >= o.patience) stoppedEarly = true;
    };

    while (!state.done && state.step < totalSteps && state.epoch < o.epochs) {
      const batches = epochBatches(o.data.size, o.batchSize, o.seed, state.epoch);
      while (state.batchInEpoch < microPerEpoch && state.step < totalSteps) {
        const t0 = performance.now();
        const micro = batches.slice(state.batchInEpoch, state.batchInEpoch + accum);
        let sum: tf.Tensor[] | null = null;
        let lossSum = 0;
        let tokens = 0;
        for (const [j, indices] of micro.entries()) {
          const batch = o.data.batch(indices);
          tokens += o.data.tokens?.(batch) ?? 0;
          const ctx = trainingContext(o.seed, state.step * accum + j);
          const { value, grads } = tf.variableGrads(() => o.trainable.loss(batch, ctx), vars);
          try {
            lossSum += (await value.data())[0]!; // asynchronously: a GPU backend reads back no other way
          } finally {
            value.dispose();
          }
          const g = vars.map((v) => grads[v.name] ?? tf.zerosLike(v)); // a variable the loss does not reach gets 0
          if (sum === null) sum = g;
          else {
            const prev: tf.Tensor[] = sum;
            sum = prev.map((s, k) => tf.add(s, g[k]!));
            tf.dispose([...prev, ...g]);
          }
        }
        const summed = sum as unknown as tf.Tensor[];
        const mean = micro.length === 1 ? summed : summed.map((s) => tf.div(s, micro.length));
        if (mean !== summed) tf.dispose(summed);
        let gradNorm = NaN;
        let final = mean;
        if (o.maxGradNorm) {
          const c = await clipByGlobalNorm(mean, o.maxGradNorm);
          gradNorm = c.norm;
          final = c.grads;
          tf.dispose(mean);
        }
        const lr = lrAt(state.step);
        optimizer.apply(final, lr);
        tf.dispose(final);
        state = { ...state, step: state.step + 1, batchInEpoch: state.batchInEpoch + micro.length };
        o.onStep?.({
          step: state.step, epoch: state.epoch, loss: lossSum / micro.length, lr, gradNorm, tokens,
          seconds: (performance.now() - t0) / 1000,
        });
        if (o.checkpointEvery && state.step % o.checkpointEvery === 0 && state.batchInEpoch < microPerEpoch) await save();
      }
      const finishedEpoch = state.batchInEpoch >= microPerEpoch;
      const epochIndex = state.epoch;
      await runValidation(epochIndex);
      state = finishedEpoch ? { ...state, epoch: state.epoch + 1, batchInEpoch: 0 } : state;
      if (stoppedEarly || state.step >= totalSteps) state = { ...state, done: true };
      await save();
      if (stoppedEarly) break;
    }
    return { steps: state.step, totalSteps, best: state.best, stoppedEarly, resumedFrom };
  } finally {
    optimizer.dispose();
  }
}
