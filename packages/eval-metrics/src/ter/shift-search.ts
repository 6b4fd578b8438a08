/**
 * tercom's greedy shift search (`TER` / `CalcBestShift`) for one hypothesis against one reference.
 *
 * Repeatedly: gather the shift candidates of the current hypothesis, try them from the longest blocks down, and keep
 * the first one with the largest gain (edit distance saved minus the shift's cost of 1). A first candidate that
 * only breaks even (gain 0) is also taken, as tercom does. The search over shorter blocks stops once no block of
 * that length could beat the best gain found. When no candidate is taken, the edits are the last edit distance plus
 * one per shift made.
 */
import { beamEditDistance, tracePath, type WordIds } from './edit-distance.js';
import { alignmentErrors, applyShift, buildPhraseStarts, gatherShifts, type Shift } from './shifts.js';

const SHIFT_COST = 1;

export interface PairEdits {
  /** Edits of the best alignment: insertions + deletions + substitutions + shifts. */
  edits: number;
  /** Number of shifts made. */
  shifts: number;
}

/** Edit distances of shifted hypotheses, memoised per (hypothesis order) for one reference. */
class DistanceCache {
  private readonly known = new Map<string, number>();
  constructor(private readonly ref: WordIds) {}

  distance(hyp: WordIds): number {
    const key = hyp.join(',');
    const hit = this.known.get(key);
    if (hit !== undefined) return hit;
    const d = beamEditDistance(hyp, hyp.length, this.ref, this.ref.length);
    this.known.set(key, d);
    return d;
  }
}

/** The best shift of `cur` (tercom `CalcBestShift`), or null when none is worth taking. */
function bestShift(
  cur: WordIds,
  curEdits: number,
  curPath: Uint8Array,
  ref: WordIds,
  phrases: ReturnType<typeof buildPhraseStarts>,
  cache: DistanceCache,
): { shifted: WordIds; edits: number } | null {
  const errs = alignmentErrors(curPath, cur.length, ref.length);
  const buckets = gatherShifts(cur, phrases, errs);

  let bestShiftCost = 0;
  let bestEdits = curEdits;
  let best: WordIds | null = null;

  for (let k = buckets.length - 1; k >= 0; k--) {
    const maxfix = 2 * (1 + k); // the most a block of k + 1 words can save
    let curfix = curEdits - (bestShiftCost + bestEdits);
    if (curfix > maxfix || (bestShiftCost !== 0 && curfix === maxfix)) break;

    for (const shift of buckets[k] as Shift[]) {
      curfix = curEdits - (bestShiftCost + bestEdits);
      if (curfix > maxfix || (bestShiftCost !== 0 && curfix === maxfix)) break;

      const shifted = applyShift(cur, shift);
      const edits = cache.distance(shifted);
      const gain = bestEdits + bestShiftCost - (edits + SHIFT_COST);
      if (gain > 0 || (bestShiftCost === 0 && gain === 0)) {
        best = shifted;
        bestShiftCost = SHIFT_COST;
        bestEdits = edits;
      }
    }
  }
  return best === null ? null : { shifted: best, edits: bestEdits };
}

/** tercom's TER of one tokenised hypothesis against one tokenised reference (both non-empty strings). */
export function shiftedEdits(hyp: WordIds, ref: WordIds): PairEdits {
  const phrases = buildPhraseStarts(hyp, ref);
  const cache = new DistanceCache(ref);

  let cur = hyp;
  let curEdits = beamEditDistance(cur, cur.length, ref, ref.length);
  let curPath = tracePath(cur.length, ref.length);
  let shifts = 0;

  for (;;) {
    const found = bestShift(cur, curEdits, curPath, ref, phrases, cache);
    if (found === null) break;
    shifts++;
    cur = found.shifted;
    curEdits = beamEditDistance(cur, cur.length, ref, ref.length);
    curPath = tracePath(cur.length, ref.length);
  }
  return { edits: curEdits + shifts * SHIFT_COST, shifts };
}
