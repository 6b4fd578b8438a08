import * as tf from '@tensorflow/tfjs-core';
import { BackendFeatures, backendHasFeature } from './backend-features.js';
import { ConfigError } from './errors.js';
import { FusedKernelNames, hasFusedKernel, runFusedKernel } from './fused-kernels.js';
import { multiplyByMask } from './lean-ops.js';
import { mixSeed } from './rng.js';

/**
 * What a hook knows of the current forward pass: whether it trains, and a dropout that is deterministic for a given
 * (seed, step, call order), so that a resumed run draws the same masks as an uninterrupted one.
 */
export interface ForwardContext {
  readonly training: boolean;
  /** Inverted dropout (kept values scaled by 1/(1−rate)); the identity when not training or when rate is 0. */
  dropout<T extends tf.Tensor>(x: T, rate: number): T;
  /**
   * The next dropout call as the seed its mask is drawn from, for a kernel that draws the mask itself (tiled
   * attention, which never holds the [B, H, n, m] mask): consumes the call `dropout(x, rate)` would, and returns the
   * seed `PeftDropoutMask` would be given, or undefined where `dropout` would be the identity (rate 0, inference).
   */
  dropoutDraw?(rate: number): DropoutDraw | undefined;
}

/** A dropout mask not yet drawn: PeftDropoutMask(shape, seed, rate) gives its values. */
export interface DropoutDraw {
  readonly seed: string;
  readonly rate: number;
}

/** A context for inference: no dropout anywhere. */
export const EVAL_CONTEXT: ForwardContext = Object.freeze({
  training: false,
  dropout: <T extends tf.Tensor>(x: T): T => x,
  dropoutDraw: () => undefined,
});

/**
 * A training context for one step. Each dropout call gets its own seed, mixed from `seed`, `step` and the call's
 * ordinal in this context, so two runs of the same step with the same inputs draw identical masks.
 */
export function trainingContext(seed: number, step: number): ForwardContext {
  let calls = 0;
  const nextSeed = (rate: number): number | undefined => {
    if (!(rate >= 0 && rate < 1)) throw new ConfigError('dropout', `rate must be in [0, 1), got ${rate}`);
    return rate === 0 ? undefined : mixSeed(seed, step, calls++);
  };
  return {
    training: true,
    dropoutDraw(rate: number): DropoutDraw | undefined {
      const callSeed = nextSeed(rate);
      return callSeed === undefined ? undefined : { seed: String(callSeed), rate };
    },
    dropout<T extends tf.Tensor>(x: T, rate: number): T {
      const callSeed = nextSeed(rate);
      if (callSeed === undefined) return x;
      // mask = floor(u + keep) is 1 with probability keep; written with plain ops so every backend has them (an
      // accelerator's PeftDropoutMask draws the same values in one pass). Drawn off the tape, and the tape keeps only
      // the scaled mask (not x, u or the floor)
      const keep = 1 - rate;
      // where an accelerator draws masks natively (one pass, threads jumping Alea ahead), the backward draws the mask
      // again from its seed instead of the tape keeping it — where the backend says a redraw is cheaper than keeping it
      const native = () => hasFusedKernel(FusedKernelNames.dropoutMask);
      return multiplyByMask(
        x,
        () =>
          native()
            ? runFusedKernel(FusedKernelNames.dropoutMask, {}, { shape: [...x.shape], seed: String(callSeed), rate })
            : tf.tidy(() => tf.mul(tf.floor(tf.add(tf.randomUniform(x.shape, 0, 1, 'float32', callSeed), keep)), 1 / keep)),
        { redraw: native() && backendHasFeature(BackendFeatures.redrawnDropoutMasks) },
      );
    },
  };
}
