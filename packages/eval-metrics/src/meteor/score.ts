/**
 * METEOR 1.5's sufficient statistics and score. For a segment (or a corpus, after summing the statistics):
 *   weighted length  L = delta * content words + (1 - delta) * function words        (hypothesis: Lh, reference: Lr)
 *   weighted matches M = sum over stages of weight[stage] * (delta * content + (1 - delta) * function matches)
 *   P = Mh / Lh,  R = Mr / Lr,  Fmean = 1 / ((1 - alpha) / P + alpha / R)
 *   frag = chunks / ((matched hyp words + matched ref words) / 2), or 0 for a perfect single-chunk match
 *   penalty = gamma * frag^beta,  score = max(0, Fmean * (1 - penalty)), 0 where undefined (NaN)
 * The corpus score is computed from the summed statistics of every segment's best reference (not a mean of segment
 * scores); chunks of perfect segments are not added. Arithmetic follows the jar's order so results agree bit for bit.
 */
import type { Alignment } from './align.js';
import type { MeteorParameters } from './languageData.js';

/** Aggregable statistics (METEOR's MeteorStats, word-based). */
export interface MeteorStats {
  hypLength: number;
  refLength: number;
  hypFunctionWords: number;
  refFunctionWords: number;
  hypTotalMatches: number;
  refTotalMatches: number;
  /** [stage] */
  hypContentMatches: number[];
  refContentMatches: number[];
  hypFunctionMatches: number[];
  refFunctionMatches: number[];
  chunks: number;
  hypWordMatches: number;
  refWordMatches: number;
}

/** Scores derived from statistics. */
export interface MeteorScores {
  precision: number;
  recall: number;
  fMean: number;
  /** chunks / mean matched words (0 for a perfect match) */
  fragmentation: number;
  /** gamma * fragmentation^beta */
  penalty: number;
  score: number;
}

export function emptyStats(stages: number): MeteorStats {
  const zeros = (): number[] => new Array<number>(stages).fill(0);
  return {
    hypLength: 0,
    refLength: 0,
    hypFunctionWords: 0,
    refFunctionWords: 0,
    hypTotalMatches: 0,
    refTotalMatches: 0,
    hypContentMatches: zeros(),
    refContentMatches: zeros(),
    hypFunctionMatches: zeros(),
    refFunctionMatches: zeros(),
    chunks: 0,
    hypWordMatches: 0,
    refWordMatches: 0,
  };
}

export function statsFromAlignment(a: Alignment): MeteorStats {
  const stats: MeteorStats = {
    ...emptyStats(0),
    hypLength: a.hypWords.length,
    refLength: a.refWords.length,
    hypFunctionWords: a.hypFunctionWords,
    refFunctionWords: a.refFunctionWords,
    hypContentMatches: a.hypContentMatches.slice(),
    refContentMatches: a.refContentMatches.slice(),
    hypFunctionMatches: a.hypFunctionMatches.slice(),
    refFunctionMatches: a.refFunctionMatches.slice(),
    chunks: a.chunks,
  };
  for (let i = 0; i < a.hypContentMatches.length; i++) {
    stats.hypTotalMatches += a.hypContentMatches[i]!;
    stats.hypTotalMatches += a.hypFunctionMatches[i]!;
    stats.refTotalMatches += a.refContentMatches[i]!;
    stats.refTotalMatches += a.refFunctionMatches[i]!;
    stats.hypWordMatches += a.hypContentMatches[i]! + a.hypFunctionMatches[i]!;
    stats.refWordMatches += a.refContentMatches[i]! + a.refFunctionMatches[i]!;
  }
  return stats;
}

function isPerfect(s: MeteorStats): boolean {
  return s.hypTotalMatches === s.hypLength && s.refTotalMatches === s.refLength && s.chunks === 1;
}

/** Add segment statistics into corpus totals (MeteorStats.addStats): chunks of perfect segments are not added. */
export function addStats(total: MeteorStats, s: MeteorStats): void {
  total.hypLength += s.hypLength;
  total.refLength += s.refLength;
  total.hypFunctionWords += s.hypFunctionWords;
  total.refFunctionWords += s.refFunctionWords;
  total.hypTotalMatches += s.hypTotalMatches;
  total.refTotalMatches += s.refTotalMatches;
  while (total.hypContentMatches.length < s.hypContentMatches.length) {
    total.hypContentMatches.push(0);
    total.refContentMatches.push(0);
    total.hypFunctionMatches.push(0);
    total.refFunctionMatches.push(0);
  }
  for (let i = 0; i < s.hypContentMatches.length; i++) {
    total.hypContentMatches[i]! += s.hypContentMatches[i]!;
    total.refContentMatches[i]! += s.refContentMatches[i]!;
    total.hypFunctionMatches[i]! += s.hypFunctionMatches[i]!;
    total.refFunctionMatches[i]! += s.refFunctionMatches[i]!;
  }
  if (!isPerfect(s)) total.chunks += s.chunks;
  total.hypWordMatches += s.hypWordMatches;
  total.refWordMatches += s.refWordMatches;
}

/** MeteorScorer.computeMetrics. `weights[stage]` are the scoring weights of the module list. */
export function computeScores(s: MeteorStats, p: MeteorParameters, weights: readonly number[]): MeteorScores {
  const { alpha, beta, gamma, delta } = p;
  const hypWeightedLength = delta * (s.hypLength - s.hypFunctionWords) + (1.0 - delta) * s.hypFunctionWords;
  const refWeightedLength = delta * (s.refLength - s.refFunctionWords) + (1.0 - delta) * s.refFunctionWords;
  let hypWeightedMatches = 0;
  let refWeightedMatches = 0;
  for (let i = 0; i < weights.length; i++) hypWeightedMatches += (s.hypContentMatches[i] ?? 0) * weights[i]! * delta;
  for (let i = 0; i < weights.length; i++) refWeightedMatches += (s.refContentMatches[i] ?? 0) * weights[i]! * delta;
  for (let i = 0; i < weights.length; i++) hypWeightedMatches += (s.hypFunctionMatches[i] ?? 0) * weights[i]! * (1.0 - delta);
  for (let i = 0; i < weights.length; i++) refWeightedMatches += (s.refFunctionMatches[i] ?? 0) * weights[i]! * (1.0 - delta);
  const precision = hypWeightedMatches / hypWeightedLength;
  const recall = refWeightedMatches / refWeightedLength;
  const fMean = 1.0 / ((1.0 - alpha) / precision + alpha / recall);
  const fragmentation = isPerfect(s) ? 0 : s.chunks / ((s.hypWordMatches + s.refWordMatches) / 2);
  const penalty = gamma * Math.pow(fragmentation, beta);
  const raw = fMean * (1.0 - penalty);
  const score = Number.isNaN(raw) ? 0 : Math.max(raw, 0.0);
  return { precision, recall, fMean, fragmentation, penalty, score };
}
