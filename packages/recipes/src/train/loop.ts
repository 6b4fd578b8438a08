import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, leanVariableGrads, trainingContext, type ForwardContext } from '@peft/core';
import { AdamW, type AdamWConfig } from './adamw.js';
import { NonFiniteError } from '../errors.js';
import { readCheckpoint, writeCheckpoint, type LoopState } from './checkpoint.js';
import { clipByGlobalNorm, globalNorm } from './clip.js';
import { DeviceStep } from './device-step.js';
import { MAX_SKIPPED_STEPS_IN_A_ROW, tensorsFinite, type OnNonFinite } from './finite.js';
import { batchesPerEpoch, epochBatches, totalTrainingSteps } from './data-order.js';
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
  /**
   * A step whose loss or gradients are NaN or ±∞: 'stop' (default) throws a {@link NonFiniteError} naming the step;
   * 'skip-step' leaves the weights as they were and goes on (stopping after {@link MAX_SKIPPED_STEPS_IN_A_ROW} in a
   * row). Weights that become non-finite always stop the run. Nothing non-finite is ever checkpointed or "best".
   */
  readonly onNonFinite?: OnNonFinite;
  /** Called for each step skipped under 'skip-step'. */
  readonly onSkippedStep?: (step: number, what: string) => void;
  /** When aborted, the loop ends the step under way, writes a checkpoint and returns with `interrupted` set. */
  readonly stop?: AbortSignal;
  /** Called after each checkpoint is written, with its step. */
  readonly onCheckpoint?: (step: number) => void;
  /**
   * Keep each step on the backend until its end and read back once (the loss, the gradient norm and the weights'
   * finiteness together: {@link DeviceStep}) instead of three times inside the step. Default: on a GPU backend (webgpu,
   * webgl), where every readback makes the CPU wait for the GPU; the same guard and update either way.
   */
  readonly oneReadbackPerStep?: boolean;
}

/** The backends whose readbacks stall a step (the CPU waits for the queued GPU work). */
const ASYNC_READBACK_BACKENDS = ['webgpu', 'webgl'];

export interface TrainResult {
  readonly steps: number;
  readonly totalSteps: number;
  readonly best: { readonly value: number; readonly epoch: number } | null;
  readonly stoppedEarly: boolean;
  readonly resumedFrom: number | null;
  /** The run was stopped through `stop`; its checkpoint is at `steps`. */
  readonly interrupted: boolean;
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
  const totalSteps = totalTrainingSteps({ examples: o.data.size, batchSize: o.batchSize, gradAccumulation: accum, epochs: o.epochs, ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}) });
  const lrAt = o.schedule(totalSteps);
  const optimizer = new AdamW(o.trainable.parameters, o.optimizer);
  const vars = o.trainable.parameters.map(([, v]) => v);
  const deviceStep = (o.oneReadbackPerStep ?? ASYNC_READBACK_BACKENDS.includes(tf.getBackend())) ? new DeviceStep(optimizer, o.maxGradNorm) : null;

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
    let savedStep = resumedFrom;
    const save = async (): Promise<void> => {
      if (!o.checkpointDir) return;
      await writeCheckpoint(o.checkpointDir, optimizer, state);
      savedStep = state.step;
      o.onCheckpoint?.(state.step);
    };
    // a first checkpoint before any step: a run killed from here on can always be resumed
    if (!o.resume) await save();
    const keptState = (): string =>
      o.checkpointDir ? (savedStep === null ? 'no checkpoint was written' : `the run folder keeps the checkpoint of step ${savedStep}`) : 'nothing was saved';
    const nonFinite = (step: number, what: string): NonFiniteError =>
      new NonFiniteError(step, what, `${keptState()}; lower --lr, check the model's weights, or pass --on-nonfinite skip-step`);
    const onNonFinite = o.onNonFinite ?? 'stop';
    let skippedInARow = 0;
    let interrupted = false;
    let stoppedEarly = false;
    const runValidation = async (epochIndex: number): Promise<void> => {
      let isBest = false;
      let v: Validation | undefined;
      if (o.validate) {
        v = await o.validate();
        const better = state.best === null || (v.higherIsBetter ? v.value > state.best.value : v.value < state.best.value);
        if (!Number.isFinite(v.value)) {
          throw new NonFiniteError(state.step, `validation ${v.name} (${v.value})`, `no adapter was saved as best; ${keptState()}; lower --lr or check the model's weights`);
        }
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

    while (!state.done && state.step < totalSteps && state.epoch < o.epochs && !interrupted) {
      const batches = epochBatches(o.data.size, o.batchSize, o.seed, state.epoch);
      while (state.batchInEpoch < microPerEpoch && state.step < totalSteps) {
        if (o.stop?.aborted) {
          interrupted = true;
          break;
        }
        const t0 = performance.now();
        const micro = batches.slice(state.batchInEpoch, state.batchInEpoch + accum);
        let sum: tf.Tensor[] | null = null;
        let lossSum = 0;
        let lossOnDevice: tf.Scalar | null = null; // with deviceStep: the micro-batches' loss sum, read with the step's end
        let tokens = 0;
        for (const [j, indices] of micro.entries()) {
          const batch = o.data.batch(indices);
          tokens += o.data.tokens?.(batch) ?? 0;
          const ctx = trainingContext(o.seed, state.step * accum + j);
          // (its backward frees each activation's gradient as it goes: the step's peak memory is the tape plus about one block's)
          const { value, grads } = leanVariableGrads(() => o.trainable.loss(batch, ctx), vars);
          if (deviceStep) {
            const prev: tf.Scalar | null = lossOnDevice;
            lossOnDevice = (prev ? tf.tidy(() => tf.add(prev, value)) : value) as tf.Scalar;
            if (prev) tf.dispose([prev, value]);
          } else {
            try {
              lossSum += (await value.data())[0]!; // asynchronously: a GPU backend reads back no other way
            } finally {
              value.dispose();
            }
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
        const lr = lrAt(state.step);
        const stepNumber = state.step + 1;
        // with deviceStep the update is queued gated on the loss and the norm being finite, then read back once
        let deviceOutcome: { applied: boolean; weightsFinite: boolean } | null = null;
        if (deviceStep) {
          const lossTensor = lossOnDevice as unknown as tf.Scalar;
          try {
            const r = await deviceStep.run(mean, lossTensor, lr);
            lossSum = r.loss;
            gradNorm = r.gradNorm;
            deviceOutcome = r;
          } finally {
            tf.dispose([lossTensor, ...mean]);
          }
          final = [];
        } else if (o.maxGradNorm) {
          const c = await clipByGlobalNorm(mean, o.maxGradNorm);
          gradNorm = c.norm;
          final = c.grads;
          tf.dispose(mean);
        } else gradNorm = await globalNorm(mean);
        // the non-finite guard: a NaN or ±∞ loss or gradient never reaches the weights
        const bad = !Number.isFinite(lossSum) ? `the loss (${lossSum / micro.length})` : !Number.isFinite(gradNorm) ? `the gradient norm (${gradNorm})` : null;
        if (bad !== null) {
          tf.dispose(final);
          skippedInARow++;
          if (onNonFinite === 'stop') throw nonFinite(stepNumber, bad);
          if (skippedInARow >= MAX_SKIPPED_STEPS_IN_A_ROW) {
            throw new NonFiniteError(stepNumber, bad, `${skippedInARow} steps in a row were skipped, so the model, not a batch, is broken; ${keptState()}; lower --lr or check the model's weights`);
          }
          o.onSkippedStep?.(stepNumber, bad);
        } else {
          skippedInARow = 0;
          if (!deviceOutcome) {
            optimizer.apply(final, lr);
            tf.dispose(final);
          }
          const weightsFinite = deviceOutcome ? deviceOutcome.weightsFinite : await tensorsFinite(vars);
          if (!weightsFinite) throw nonFinite(stepNumber, `a weight after the update (lr ${lr})`);
        }
        state = { ...state, step: stepNumber, batchInEpoch: state.batchInEpoch + micro.length };
        o.onStep?.({
          step: state.step, epoch: state.epoch, loss: lossSum / micro.length, lr, gradNorm, tokens,
          seconds: (performance.now() - t0) / 1000,
        });
        if (o.checkpointEvery && state.step % o.checkpointEvery === 0 && state.batchInEpoch < microPerEpoch) await save();
      }
      if (interrupted) {
        // stopped between steps: a checkpoint of exactly this state, nothing validated
        if (savedStep !== state.step) await save();
        break;
      }
      const finishedEpoch = state.batchInEpoch >= microPerEpoch;
      const epochIndex = state.epoch;
      await runValidation(epochIndex);
      state = finishedEpoch ? { ...state, epoch: state.epoch + 1, batchInEpoch: 0 } : state;
      if (stoppedEarly || state.step >= totalSteps) state = { ...state, done: true };
      await save();
      if (stoppedEarly) break;
    }
    return { steps: state.step, totalSteps, best: state.best, stoppedEarly, resumedFrom, interrupted };
  } finally {
    deviceStep?.dispose();
    optimizer.dispose();
  }
}
