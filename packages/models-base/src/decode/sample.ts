import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Rng } from '@peft/core';
import type { CausalLm } from '../causal-lm.js';
import { decodeTokens, generateGreedy, type GreedyOptions, type GreedyResult } from './greedy.js';

export interface SamplingOptions extends GreedyOptions {
  /** Softmax temperature (default 1); 0 decodes greedily (argmax), as transformers' `do_sample=False`. */
  readonly temperature?: number;
  /** Nucleus sampling: draw from the smallest set of most likely tokens whose mass reaches `topP` (default 1: all). */
  readonly topP?: number;
  /** Seed of the draws (default 0): the same seed, model and prompts give the same tokens. */
  readonly seed?: number;
}

/**
 * The index drawn from `probs` (a distribution over V ids) under top-p with the uniform number `u` ∈ [0, 1):
 * transformers' `TopPLogitsWarper` keeps an id when the ids more likely than it hold less than `topP` of the mass (the
 * most likely id always stays; ties are ordered by id), and the kept ids are drawn in proportion to their
 * probabilities.
 */
export function sampleTopP(probs: ArrayLike<number>, topP: number, u: number): number {
  const order = Array.from({ length: probs.length }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
  let kept = 0;
  let mass = 0;
  while (kept < order.length && (kept === 0 || mass < topP)) mass += probs[order[kept++]!]!;
  let target = u * mass;
  for (let k = 0; k < kept; k++) {
    target -= probs[order[k]!]!;
    if (target < 0) return order[k]!;
  }
  return order[kept - 1]!;
}

/**
 * Batched decoding with temperature and top-p sampling, seeded through @peft/core's {@link Rng} (one draw per row and
 * step, rows in order), over the same loop as {@link generateGreedy}: left-padded prompts, key/value cache, stop
 * tokens. temperature 0 is greedy decoding.
 */
export async function generateSampled(model: CausalLm, options: SamplingOptions): Promise<GreedyResult> {
  const temperature = options.temperature ?? 1;
  const topP = options.topP ?? 1;
  if (!(Number.isFinite(temperature) && temperature >= 0)) throw new ConfigError('temperature', `must be a finite number ≥ 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new ConfigError('topP', `must be in (0, 1], got ${topP}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ConfigError('seed', `must be an integer, got ${seed}`);
  if (temperature === 0) return generateGreedy(model, options);
  const rng = new Rng(seed);
  return decodeTokens(model, options, {
    device: (logits) => tf.softmax(tf.div(logits, temperature)),
    host: (values, rows) => {
      const v = values.length / rows;
      const probs = values as Float32Array;
      return Array.from({ length: rows }, (_, b) => sampleTopP(probs.subarray(b * v, (b + 1) * v), topP, rng.uniform()));
    },
  });
}
