import { mixSeed, Rng } from '@peft/core';

/**
 * The order of training examples in an epoch: a Fisher–Yates shuffle seeded by (seed, epoch). The data-order state of
 * a run is therefore just (epoch, batch within the epoch); a resumed run regenerates the same permutation.
 */
export function epochPermutation(n: number, seed: number, epoch: number): number[] {
  const rng = new Rng(mixSeed(seed, 0x0da7a, epoch));
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Batches (last one possibly short, as PyTorch's DataLoader with drop_last=False) of one epoch. */
export function epochBatches(n: number, batchSize: number, seed: number, epoch: number, shuffle = true): number[][] {
  const p = shuffle ? epochPermutation(n, seed, epoch) : Array.from({ length: n }, (_, i) => i);
  const out: number[][] = [];
  for (let i = 0; i < n; i += batchSize) out.push(p.slice(i, i + batchSize));
  return out;
}

export function batchesPerEpoch(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

/**
 * The optimizer steps of a run: ⌈micro-batches per epoch / accumulation⌉ per epoch, for `epochs` epochs, at most
 * `maxSteps`. The one definition the loop and the command's progress, events and memory plan share.
 */
export function totalTrainingSteps(o: { readonly examples: number; readonly batchSize: number; readonly gradAccumulation?: number; readonly epochs: number; readonly maxSteps?: number }): number {
  const stepsPerEpoch = Math.ceil(batchesPerEpoch(o.examples, o.batchSize) / (o.gradAccumulation ?? 1));
  return Math.min(o.epochs * stepsPerEpoch, o.maxSteps ?? Infinity);
}
