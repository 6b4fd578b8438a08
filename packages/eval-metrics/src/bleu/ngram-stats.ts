// Clipped n-gram statistics shared by the multi-bleu.perl and sacreBLEU formulations.

export const MAX_NGRAM_ORDER = 4;

/** counts[n-1]: n-gram (tokens joined by one space) -> occurrences, for n = 1..MAX_NGRAM_ORDER. */
export type NgramCounts = Map<string, number>[];

/** Tokens never contain the whitespace they were split on, so a space-joined key is unambiguous. */
export function countNgrams(tokens: readonly string[]): NgramCounts {
  const counts: NgramCounts = Array.from({ length: MAX_NGRAM_ORDER }, () => new Map<string, number>());
  for (let start = 0; start < tokens.length; start++) {
    // grow the n-gram starting here one token at a time: orders 1..4 in one pass
    let key = tokens[start]!;
    for (let n = 0; n < MAX_NGRAM_ORDER && start + n < tokens.length; n++) {
      if (n > 0) key += ` ${tokens[start + n]!}`;
      const orderCounts = counts[n]!;
      orderCounts.set(key, (orderCounts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** Per n-gram the maximum count over the references (the clipping ceiling of BLEU). */
export function maxReferenceCounts(references: readonly (readonly string[])[]): NgramCounts {
  const merged: NgramCounts = Array.from({ length: MAX_NGRAM_ORDER }, () => new Map<string, number>());
  for (const tokens of references) {
    const counts = countNgrams(tokens);
    for (let n = 0; n < MAX_NGRAM_ORDER; n++) {
      for (const [key, count] of counts[n]!) {
        if ((merged[n]!.get(key) ?? 0) < count) merged[n]!.set(key, count);
      }
    }
  }
  return merged;
}

/** The sufficient statistics of corpus BLEU, summed over segments. */
export interface BleuStats {
  hypLen: number;
  refLen: number;
  /** correct[n-1]: clipped matches of n-grams. */
  correct: number[];
  /** total[n-1]: n-grams in the hypotheses. */
  total: number[];
}

export function emptyStats(): BleuStats {
  return { hypLen: 0, refLen: 0, correct: [0, 0, 0, 0], total: [0, 0, 0, 0] };
}

/** Adds one segment's clipped matches and n-gram totals to `stats` (lengths are added by the caller). */
export function addSegmentMatches(stats: BleuStats, hypTokens: readonly string[], refCeilings: NgramCounts): void {
  const hypCounts = countNgrams(hypTokens);
  for (let n = 0; n < MAX_NGRAM_ORDER; n++) {
    for (const [key, count] of hypCounts[n]!) {
      stats.total[n]! += count;
      const ceiling = refCeilings[n]!.get(key);
      if (ceiling !== undefined) stats.correct[n]! += Math.min(count, ceiling);
    }
  }
}

/**
 * Closest reference length; ties go to the shorter one. The search starts from (initialDiff, initialLen):
 * multi-bleu.perl starts from (9999, 9999), sacreBLEU from "nothing yet" (Infinity, -1).
 */
export function closestRefLength(
  hypLen: number,
  refLens: readonly number[],
  initialDiff: number,
  initialLen: number,
): number {
  let closestDiff = initialDiff;
  let closestLen = initialLen;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (diff < closestDiff) {
      closestDiff = diff;
      closestLen = len;
    } else if (diff === closestDiff && len < closestLen) {
      closestLen = len;
    }
  }
  return closestLen;
}

/** Both scripts floor log(0) at this value, so one zero precision drives BLEU to exactly 0. */
export function flooredLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** The public result of both BLEU formulations. `score` and `precisions` are percentages. */
export interface BleuResult {
  score: number;
  precisions: number[];
  bp: number;
  ratio: number;
  hypLen: number;
  refLen: number;
  correct: number[];
  total: number[];
}
