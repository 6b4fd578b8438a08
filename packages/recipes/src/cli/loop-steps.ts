import { trainLoop, type Trainable, type Validation } from '../train/loop.js';
import type { LoopBase, Prepared } from './run-context.js';

/**
 * `Prepared.trainSteps` for either family: the training loop over a padded split, counting tokens as batch × length,
 * with the command's callbacks wired through.
 */
export function loopSteps<B extends { readonly batchSize: number; readonly length: number }>(
  loopBase: LoopBase,
  trainable: Trainable<B>,
  split: { readonly size: number; batch(indices: readonly number[]): B },
  validate: () => Validation | Promise<Validation>,
): Prepared['trainSteps'] {
  return (o) =>
    trainLoop({
      ...loopBase, trainable,
      data: { size: split.size, batch: (i) => split.batch(i), tokens: (b) => b.batchSize * b.length },
      checkpointDir: o.checkpointDir, onStep: o.onStep, onResume: (st) => o.onResume(st.step), onBest: (v) => o.onBest(v),
      onEpoch: (e) => o.onEpoch(e.validation, e.epoch, e.step),
      ...(o.onSkippedStep ? { onSkippedStep: o.onSkippedStep } : {}),
      ...(o.stop ? { stop: o.stop } : {}),
      ...(o.onCheckpoint ? { onCheckpoint: o.onCheckpoint } : {}),
      validate,
    });
}
