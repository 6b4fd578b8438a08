import * as tf from '@tensorflow/tfjs-core';
import { totalOver } from './clip.js';

/**
 * Whether every value of `tensors` is finite, read back as one scalar: Σ (x · 0) is 0 when all are finite and NaN when
 * any is NaN or ±∞ (it cannot overflow; Mul and Sum run on every backend, where IsFinite does not).
 */
export async function tensorsFinite(tensors: readonly tf.Tensor[]): Promise<boolean> {
  if (tensors.length === 0) return true;
  const probe = totalOver(tensors, 'zeroed');
  try {
    return Number.isFinite((await probe.data())[0]);
  } finally {
    probe.dispose();
  }
}

/** What the loop does when a step's loss or gradients are not finite: stop the run, or skip that step's update. */
export const ON_NON_FINITE = ['stop', 'skip-step'] as const;
export type OnNonFinite = (typeof ON_NON_FINITE)[number];

/** Steps in a row the loop skips under `skip-step` before it stops anyway (the model, not one batch, is broken). */
export const MAX_SKIPPED_STEPS_IN_A_ROW = 5;
