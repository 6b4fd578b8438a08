/**
 * The shift candidates of tercom 0.7.25: which blocks of hypothesis words may move, and where to.
 *
 * A block may move only when it also occurs in the reference, when at least one of its words is currently
 * misaligned and at least one word of the matching reference span is too ("don't shift words that already
 * match"), and when the move stays within `MAX_SHIFT_DIST` words. Candidates are produced in tercom's order
 * (by block start, then matching reference position, then landing offset) and bucketed by block length; that
 * order decides which of several equally good shifts wins.
 */
import { AlignOp, type WordIds } from './edit-distance.js';

/** Longest block of hypothesis words tried as one shift (block lengths 1..10). */
export const MAX_SHIFT_SIZE = 10;
/** Farthest a block may move, in words. */
export const MAX_SHIFT_DIST = 50;

/** A candidate move of hyp[start..end] (inclusive) to just after hypothesis position `newloc` (-1 = to the front). */
export interface Shift {
  start: number;
  end: number;
  /** Reference position the block is aligned to after the move (-1 = before the first word). */
  moveto: number;
  newloc: number;
}

/** Reference phrases (up to MAX_SHIFT_SIZE + 1 words, every word also in the hypothesis) → their start positions. */
export type PhraseStarts = Map<string, number[]>;

/** tercom's `BuildWordMatches`: every reference phrase made only of words that occur in the hypothesis. */
export function buildPhraseStarts(hyp: WordIds, ref: WordIds): PhraseStarts {
  const inHyp = new Set<number>(hyp);
  const phrases: PhraseStarts = new Map();
  for (let start = 0; start < ref.length; start++) {
    if (!inHyp.has(ref[start]!)) continue;
    let key = '';
    for (let end = start; end < ref.length && end - start <= MAX_SHIFT_SIZE && inHyp.has(ref[end]!); end++) {
      key = end === start ? String(ref[start]) : `${key},${ref[end]}`;
      const starts = phrases.get(key);
      if (starts === undefined) phrases.set(key, [start]);
      else starts.push(start); // starts grow in ascending order, as tercom's TreeSet iterates them
    }
  }
  return phrases;
}

/** Which hypothesis / reference words are misaligned, and the hypothesis position each reference word sits at. */
export interface AlignmentErrors {
  hypErr: Uint8Array; // [hypLen] 1 = inserted or substituted
  refErr: Uint8Array; // [refLen] 1 = deleted or substituted
  /** [refLen] hypothesis position aligned to each reference word (for a deleted word: the hyp word before it, or -1). */
  refAlign: Int32Array;
}

/** tercom's `FindAlignErr`. */
export function alignmentErrors(path: Uint8Array, hypLen: number, refLen: number): AlignmentErrors {
  const hypErr = new Uint8Array(hypLen);
  const refErr = new Uint8Array(refLen);
  const refAlign = new Int32Array(refLen);
  let hpos = -1;
  let rpos = -1;
  for (const op of path) {
    if (op === AlignOp.Match || op === AlignOp.Substitute) {
      hpos++;
      rpos++;
      const err = op === AlignOp.Substitute ? 1 : 0;
      hypErr[hpos] = err;
      refErr[rpos] = err;
      refAlign[rpos] = hpos;
    } else if (op === AlignOp.Insert) {
      hpos++;
      hypErr[hpos] = 1;
    } else {
      rpos++;
      refErr[rpos] = 1;
      refAlign[rpos] = hpos;
    }
  }
  return { hypErr, refErr, refAlign };
}

/**
 * tercom's `GatherAllPossShifts` on the current hypothesis `cur`: candidates bucketed by block length - 1
 * (bucket k holds blocks of k + 1 words), each bucket in generation order.
 */
export function gatherShifts(cur: WordIds, phrases: PhraseStarts, errs: AlignmentErrors): Shift[][] {
  const { hypErr, refErr, refAlign } = errs;
  const buckets: Shift[][] = Array.from({ length: MAX_SHIFT_SIZE + 1 }, () => []);
  const hypLen = cur.length;

  for (let start = 0; start < hypLen; start++) {
    const firstStarts = phrases.get(String(cur[start]));
    if (firstStarts === undefined) continue;

    let reachable = false;
    for (const moveto of firstStarts) {
      const at = refAlign[moveto]!;
      if (start !== at && at - start <= MAX_SHIFT_DIST && start - at - 1 <= MAX_SHIFT_DIST) {
        reachable = true;
        break;
      }
    }
    if (!reachable) continue;

    let key = '';
    let ok = true;
    for (let end = start; ok && end < hypLen && end < start + MAX_SHIFT_SIZE; end++) {
      key = end === start ? String(cur[start]) : `${key},${cur[end]}`;
      ok = false;
      const movetos = phrases.get(key);
      if (movetos === undefined) continue;

      let anyHypErr = false;
      for (let k = start; k <= end; k++) {
        if (hypErr[k]) {
          anyHypErr = true;
          break;
        }
      }
      if (!anyHypErr) {
        ok = true; // the block is all correct so far: do not move it, but try a longer one
        continue;
      }

      const blockLen = end - start + 1;
      for (const moveto of movetos) {
        const at = refAlign[moveto]!;
        if (!(at !== start && (at < start || at > end) && at - start <= MAX_SHIFT_DIST && start - at <= MAX_SHIFT_DIST)) {
          continue;
        }
        ok = true;

        let anyRefErr = false;
        for (let k = moveto; k < moveto + blockLen; k++) {
          if (refErr[k]) {
            anyRefErr = true;
            break;
          }
        }
        if (!anyRefErr) continue;

        for (let roff = -1; roff < blockLen; roff++) {
          if (roff === -1 && moveto === 0) {
            buckets[blockLen - 1]!.push({ start, end, moveto: -1, newloc: -1 });
          } else {
            const landing = refAlign[moveto + roff]!;
            if (start !== landing && (roff === 0 || landing !== at)) {
              buckets[blockLen - 1]!.push({ start, end, moveto: moveto + roff, newloc: landing });
            }
          }
        }
      }
    }
  }
  return buckets;
}

/** tercom's `PerformShift`: writes into `out` the hypothesis with words[start..end] moved to just after `newloc`. */
export function applyShift(words: WordIds, shift: Shift, out: WordIds): WordIds {
  const { start, end, newloc } = shift;
  const n = words.length;
  const blockLen = end - start + 1;
  if (newloc === -1) {
    out.set(words.subarray(start, end + 1), 0);
    out.set(words.subarray(0, start), blockLen);
    out.set(words.subarray(end + 1), end + 1);
  } else if (newloc < start) {
    out.set(words.subarray(0, newloc + 1), 0);
    out.set(words.subarray(start, end + 1), newloc + 1);
    out.set(words.subarray(newloc + 1, start), newloc + 1 + blockLen);
    out.set(words.subarray(end + 1), end + 1);
  } else if (newloc > end) {
    out.set(words.subarray(0, start), 0);
    out.set(words.subarray(end + 1, newloc + 1), start);
    out.set(words.subarray(start, end + 1), newloc + 1 - blockLen);
    out.set(words.subarray(newloc + 1), newloc + 1);
  } else {
    // Landing inside the block itself: tercom moves the block right by (newloc - start) words, or to the end.
    const pivot = Math.min(n - 1, end + (newloc - start));
    out.set(words.subarray(0, start), 0);
    out.set(words.subarray(end + 1, pivot + 1), start);
    out.set(words.subarray(start, end + 1), start + (pivot - end));
    out.set(words.subarray(pivot + 1), pivot + 1);
  }
  return out;
}
