/**
 * tercom's greedy shift search (`TER` / `CalcBestShift`) for one hypothesis against one reference.
 *
 * Repeatedly: gather the shift candidates of the current hypothesis, try them from the longest blocks down, and keep
 * the first one with the largest gain (edit distance saved minus the shift's cost of 1). A first candidate that
 * only breaks even (gain 0) is also taken, as tercom does. The search over shorter blocks stops once no block of
 * that length could beat the best gain found. When no candidate is taken, the edits are the last edit distance plus
 * one per shift made.
 */
import { BeamAligner, type WordIds } from './edit-distance.js';
import { alignmentErrors, applyShift, buildPhraseStarts, gatherShifts, type Shift } from './shifts.js';

const SHIFT_COST = 1;

export interface PairEdits {
  /** Edits of the best alignment: insertions + deletions + substitutions + shifts. */
  edits: number;
  /** Number of shifts made. */
  shifts: number;
}

/** The best shift of `cur` (tercom `CalcBestShift`), or null when none is worth taking. */
function bestShift(
  cur: WordIds,
  curEdits: number,
  curPath: Uint8Array,
  ref: WordIds,
  phrases: ReturnType<typeof buildPhraseStarts>,
  aligner: BeamAligner,
): { shifted: WordIds; edits: number } | null {
  const errs = alignmentErrors(curPath, cur.length, ref.length);
  const buckets = gatherShifts(cur, phrases, errs);

  let bestShiftCost = 0;
  let bestEdits = curEdits;
  let best: WordIds | null = null;
  const scratch = new Int32Array(cur.length);

  for (let k = buckets.length - 1; k >= 0; k--) {
    const maxfix = 2 * (1 + k); // the most a block of k + 1 words can save
    let curfix = curEdits - (bestShiftCost + bestEdits);
    if (curfix > maxfix || (bestShiftCost !== 0 && curfix === maxfix)) break;

    for (const shift of buckets[k] as Shift[]) {
      curfix = curEdits - (bestShiftCost + bestEdits);
      if (curfix > maxfix || (bestShiftCost !== 0 && curfix === maxfix)) break;

      const shifted = applyShift(cur, shift, scratch);
      // Only a count of at most bestEdits - 1 can win (gain >= 0 for the first taken, > 0 after): the aligner may stop
      // early above that bound.
      const edits = aligner.score(shifted, bestEdits - 1); // aligner's base is `cur`
      const gain = bestEdits + bestShiftCost - (edits + SHIFT_COST);
      if (gain > 0 || (bestShiftCost === 0 && gain === 0)) {
        best ??= new Int32Array(cur.length);
        best.set(shifted);
        bestShiftCost = SHIFT_COST;
        bestEdits = edits;
      }
    }
  }
  return best === null ? null : { shifted: best, edits: bestEdits };
}

/**
 * A lower bound of `shiftedEdits(hyp, ref).edits`: shifts keep the hypothesis' words, and an alignment of them with
 * the reference has at least max(hypLen, refLen) - (words the two share, with multiplicity) edits.
 */
export function shiftedEditsLowerBound(hyp: WordIds, ref: WordIds): number {
  const counts = new Map<number, number>();
  for (const w of hyp) counts.set(w, (counts.get(w) ?? 0) + 1);
  let shared = 0;
  for (const w of ref) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      shared++;
      counts.set(w, c - 1);
    }
  }
  return Math.max(hyp.length, ref.length) - shared;
}

/** tercom's TER of one tokenised hypothesis against one tokenised reference (both non-empty strings). */
export function shiftedEdits(hyp: WordIds, ref: WordIds): PairEdits {
  const phrases = buildPhraseStarts(hyp, ref);
  const aligner = new BeamAligner(ref, hyp.length);

  let cur = hyp;
  let { edits: curEdits, path: curPath } = aligner.setBase(cur);
  let shifts = 0;

  for (;;) {
    const found = bestShift(cur, curEdits, curPath, ref, phrases, aligner);
    if (found === null) break;
    shifts++;
    cur = found.shifted;
    ({ edits: curEdits, path: curPath } = aligner.setBase(cur));
  }
  return { edits: curEdits + shifts * SHIFT_COST, shifts };
}
