/**
 * tercom's beam-limited word Levenshtein distance (`MinEditDist`), with its exact pruning and tie-breaking.
 *
 * Costs are tercom's defaults: match 0, substitution / insertion / deletion 1. The table is filled column by column
 * (one column per hypothesis word); in every column but the last, a cell is skipped when its cost exceeds by more
 * than `TER_BEAM_WIDTH` the best diagonal (match/substitution) cost reached in the previous column, and only the
 * rows between the first and last cells kept in the previous column (extended by chains of deletions) are visited.
 * When several moves reach a cell at the same cost, the first one written wins: diagonal, then insertion (same row,
 * previous column), then deletion (previous row, same column); only a strictly cheaper later move replaces it.
 * The edit count can exceed the true Levenshtein distance when the beam cuts the best path, and the path chosen
 * among equal-cost ones decides which shifts tercom tries next, so both are reproduced as they are.
 *
 * Speed: the shift search scores many hypotheses that differ from the current one only after some position p.
 * Column j of the table, and the loop state entering it, depend only on hyp[0..j-1], so `BeamAligner` keeps, for
 * the current hypothesis, each column as it stood when its processing began plus the loop state at that point, and
 * scores a shifted hypothesis by replaying only columns p..hypLen. The shift search also only needs a count when
 * it is below a threshold, so a replay stops as soon as a lower bound of the final count (each kept cell's cost plus
 * the unbeamed distance still to go, read from the base's suffix distances) rises above it. Counts that come back
 * are those of a full run.
 */

/** Words are compared as interned integer ids. */
export type WordIds = Int32Array;

/** The steps of an alignment path (tercom's ' ', 'S', 'I', 'D'), read from the start of both sequences. */
export const AlignOp = {
  Unset: 0,
  Match: 1,
  Substitute: 2,
  /** A hypothesis word with no reference word. */
  Insert: 3,
  /** A reference word with no hypothesis word. */
  Delete: 4,
} as const;

export const TER_BEAM_WIDTH = 20;
const INF = 999999;

/** Loop state entering a column: best diagonal cost of the previous column, first row kept, last row to visit. */
interface ColumnState {
  lastBest: Int32Array; // [hypLen + 1]
  firstGood: Int32Array; // [hypLen + 1]
  lastGood: Int32Array; // [hypLen + 1]
}

/** Where a run of `runColumns` writes and what it may skip. */
interface ColumnRun {
  /** Costs (column-major, S[j * (refLen + 1) + i]); column `fromCol` as it stood when its processing began, -1 after. */
  S: Int32Array;
  /** Back-pointers, same layout. */
  P: Uint8Array;
  fromCol: number;
  /** Loop state entering column `fromCol`. */
  entry: { lastBest: number; firstGood: number; lastGood: number };
  /** When set, each column's entry snapshot and loop state are recorded here. */
  record: { pre: Int32Array; state: ColumnState } | null;
  /** The caller needs the count only when it is at most this (INF: always). */
  threshold: number;
  /** Unbeamed suffix distances of a hypothesis that shares this one's words from column `tailFrom` on. */
  tail: Int32Array | null;
  tailFrom: number;
}

/**
 * Runs columns `fromCol..hypLen` of tercom's table and returns the edit count, or, once the count is sure to exceed
 * `threshold`, some value above `threshold`.
 *
 * The early stop: every alignment path crosses each column at a kept cell and its cost from there on is at least
 * the words left over on the longer side (or, where given, `tail`), so the least such sum over a column's kept
 * cells bounds the final count from below.
 */
function runColumns(hyp: WordIds, ref: WordIds, run: ColumnRun): number {
  const { S, P, threshold, tail, tailFrom } = run;
  const hypLen = hyp.length;
  const refLen = ref.length;
  const stride = refLen + 1;
  let { lastBest, firstGood, lastGood } = run.entry;

  for (let j = run.fromCol; j <= hypLen; j++) {
    const col = j * stride; // column j
    const nextCol = col + stride; // column j + 1
    if (run.record !== null) {
      run.record.pre.set(S.subarray(col, col + stride), col);
      run.record.state.lastBest[j] = lastBest;
      run.record.state.firstGood[j] = firstGood;
      run.record.state.lastGood[j] = lastGood;
    }
    const inHyp = j < hypLen;
    const hypWord = inHyp ? hyp[j]! : -1;
    const pruneAbove = inHyp ? lastBest + TER_BEAM_WIDTH : Number.MAX_SAFE_INTEGER; // no beam in the last column
    // Lower bound of the cost left from row i of this column: from column `tailFrom` on, the base's suffix
    // distances; before it, the same read at the row an all-match diagonal through the changed words would reach.
    const lead = j < tailFrom ? tailFrom - j : 0;
    const tailCol = (j < tailFrom ? tailFrom : j) * stride;
    const pastEnd = hypLen - tailFrom - refLen; // cost left when that diagonal runs past the last ref word, minus row
    const wordsLeft = hypLen - j - refLen; // (hyp words left) - (ref words left) at row i is wordsLeft + i
    let floor = INF; // least cost an alignment through this column can still reach
    let currentBest = INF;
    let currentFirstGood = -1;
    let curLastGood = -1;

    for (let i = firstGood; i <= refLen; i++) {
      if (i > lastGood) break;
      const score = S[col + i]!;
      if (score < 0 || score > pruneAbove) continue;
      if (currentFirstGood === -1) currentFirstGood = i;
      let rest: number;
      if (tail !== null) {
        const row = i + lead;
        rest = row <= refLen ? tail[tailCol + row]! : row + pastEnd;
      } else {
        const gap = wordsLeft + i;
        rest = gap < 0 ? -gap : gap;
      }
      if (score + rest < floor) floor = score + rest;

      if (inHyp) {
        if (i < refLen) {
          const diag = nextCol + i + 1;
          const old = S[diag]!;
          if (ref[i] === hypWord) {
            if (old === -1 || score < old) {
              S[diag] = score; // match cost 0
              P[diag] = AlignOp.Match;
            }
            if (score < currentBest) currentBest = score;
          } else {
            const cost = score + 1;
            if (old < 0 || cost < old) {
              S[diag] = cost;
              P[diag] = AlignOp.Substitute;
              if (cost < currentBest) currentBest = cost;
            }
          }
        }
        const right = nextCol + i;
        const old = S[right]!;
        if (old < 0 || old > score + 1) {
          S[right] = score + 1;
          P[right] = AlignOp.Insert;
        }
      }

      curLastGood = i + 1;

      if (i < refLen) {
        const down = col + i + 1;
        const old = S[down]!;
        if (old < 0 || old > score + 1) {
          S[down] = score + 1;
          P[down] = AlignOp.Delete;
          if (i >= lastGood) lastGood = i + 1;
        }
      }
    }
    if (floor > threshold) return floor;
    lastBest = currentBest;
    firstGood = currentFirstGood;
    lastGood = curLastGood;
  }
  return S[hypLen * stride + refLen]!;
}

/**
 * Plain (unbeamed) Levenshtein distances of every pair of suffixes: T[j * (refLen + 1) + i] = distance between
 * hyp[j..] and ref[i..]. tercom's beamed costs are never below these, so they bound the cost left from a cell.
 */
function suffixDistances(hyp: WordIds, ref: WordIds, T: Int32Array): void {
  const hypLen = hyp.length;
  const refLen = ref.length;
  const stride = refLen + 1;
  for (let j = hypLen; j >= 0; j--) {
    const col = j * stride;
    for (let i = refLen; i >= 0; i--) {
      if (j === hypLen) T[col + i] = refLen - i;
      else if (i === refLen) T[col + i] = hypLen - j;
      else {
        const sub = T[col + stride + i + 1]! + (hyp[j] === ref[i] ? 0 : 1);
        const ins = T[col + stride + i]! + 1;
        const del = T[col + i + 1]! + 1;
        T[col + i] = Math.min(sub, ins, del);
      }
    }
  }
}

function readPath(P: Uint8Array, hypLen: number, refLen: number): Uint8Array {
  const stride = refLen + 1;
  const reversed: number[] = [];
  let i = refLen;
  let j = hypLen;
  while (i > 0 || j > 0) {
    const op = P[j * stride + i]!;
    reversed.push(op);
    if (op === AlignOp.Match || op === AlignOp.Substitute) {
      i--;
      j--;
    } else if (op === AlignOp.Delete) {
      i--;
    } else if (op === AlignOp.Insert) {
      j--;
    } else {
      throw new Error(`TER alignment: no back-pointer at ref ${i}, hyp ${j} (internal error)`);
    }
  }
  return Uint8Array.from(reversed.reverse());
}

const FRESH_ENTRY = { lastBest: INF, firstGood: 0, lastGood: 0 };

function freshTables(hypLen: number, refLen: number): { S: Int32Array; P: Uint8Array } {
  const cells = (refLen + 1) * (hypLen + 1);
  const S = new Int32Array(cells).fill(-1);
  S[0] = 0;
  return { S, P: new Uint8Array(cells) };
}

/** tercom's edit distance and alignment path of `hyp` against `ref`, from a full run. */
export function beamEditDistance(hyp: WordIds, ref: WordIds): { edits: number; path: Uint8Array } {
  const { S, P } = freshTables(hyp.length, ref.length);
  const edits = runColumns(hyp, ref, { S, P, fromCol: 0, entry: FRESH_ENTRY, record: null, threshold: INF, tail: null, tailFrom: 0 });
  return { edits, path: readPath(P, hyp.length, ref.length) };
}

/**
 * Scores hypotheses of one length against one reference, reusing the table of a base hypothesis (`setBase`) for
 * the columns a candidate shares with it, and bounding the cost of the suffix it shares with it.
 */
export class BeamAligner {
  private readonly stride: number;
  private readonly cells: number;
  private readonly pre: Int32Array; // entry snapshot of every column of the base run
  private readonly state: ColumnState;
  private readonly tail: Int32Array; // suffix distances of the base
  private readonly work: Int32Array;
  private readonly back: Uint8Array; // back-pointers of the last run (read only right after setBase)
  private base: WordIds | null = null;

  constructor(
    private readonly ref: WordIds,
    private readonly hypLen: number,
  ) {
    this.stride = ref.length + 1;
    this.cells = this.stride * (hypLen + 1);
    this.pre = new Int32Array(this.cells);
    this.tail = new Int32Array(this.cells);
    this.work = new Int32Array(this.cells);
    this.back = new Uint8Array(this.cells);
    this.state = {
      lastBest: new Int32Array(hypLen + 1),
      firstGood: new Int32Array(hypLen + 1),
      lastGood: new Int32Array(hypLen + 1),
    };
  }

  /** Full run on `hyp`, which becomes the base for `score`; returns its edits and alignment path. */
  setBase(hyp: WordIds): { edits: number; path: Uint8Array } {
    const S = this.work;
    S.fill(-1);
    this.back.fill(AlignOp.Unset);
    S[0] = 0;
    const edits = runColumns(hyp, this.ref, {
      S,
      P: this.back,
      fromCol: 0,
      entry: FRESH_ENTRY,
      record: { pre: this.pre, state: this.state },
      threshold: INF,
      tail: null,
      tailFrom: 0,
    });
    suffixDistances(hyp, this.ref, this.tail);
    this.base = hyp;
    return { edits, path: readPath(this.back, this.hypLen, this.ref.length) };
  }

  /**
   * tercom's edit count for `hyp` (same length as the base), replaying only the columns after the shared prefix.
   * When the count is sure to exceed `threshold`, a value above `threshold` (not the count) comes back early.
   */
  score(hyp: WordIds, threshold: number = INF): number {
    const base = this.base;
    if (base === null) throw new Error('BeamAligner.score before setBase (internal error)');
    let p = 0;
    while (p < this.hypLen && hyp[p] === base[p]) p++;
    let q = this.hypLen; // hyp[q..] equals the base's suffix
    while (q > p && hyp[q - 1] === base[q - 1]) q--;
    const S = this.work;
    const from = p * this.stride;
    S.set(this.pre.subarray(from, from + this.stride), from);
    S.fill(-1, from + this.stride, this.cells);
    return runColumns(hyp, this.ref, {
      S,
      P: this.back,
      fromCol: p,
      entry: { lastBest: this.state.lastBest[p]!, firstGood: this.state.firstGood[p]!, lastGood: this.state.lastGood[p]! },
      record: null,
      threshold,
      tail: this.tail,
      tailFrom: q,
    });
  }
}
