/**
 * tercom's beam-limited word Levenshtein distance (`MinEditDist`), with its exact pruning and tie-breaking.
 *
 * Costs are tercom's defaults: match 0, substitution / insertion / deletion 1. The table is filled column by column
 * (one column per hypothesis word); in every column but the last, a cell is skipped when its cost exceeds by more
 * than `beamWidth` the best diagonal (match/substitution) cost reached in the previous column, and only the rows
 * between the first and last cells kept in the previous column (extended by chains of deletions) are visited.
 * When several moves reach a cell at the same cost, the first one written wins: diagonal, then insertion (same
 * row, previous column), then deletion (previous row, same column) — only a strictly cheaper later move replaces it.
 * The resulting edit count can exceed the true Levenshtein distance when the beam cuts the best path, and the
 * path chosen among equal-cost ones decides which shifts tercom tries next, so both are reproduced as they are.
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

/** Cost table S [hypLen + 1, refLen + 1] (column-major: S[j * (refLen + 1) + i]) and back-pointers P, reused. */
let costTable = new Int32Array(64 * 64);
let backTable = new Uint8Array(64 * 64);

function ensureTables(cells: number): void {
  if (costTable.length >= cells) return;
  let size = costTable.length;
  while (size < cells) size *= 2;
  costTable = new Int32Array(size);
  backTable = new Uint8Array(size);
}

/**
 * Fills tercom's beam-limited table for `hyp` against `ref` and returns the edit count at the bottom-right cell.
 * The back-pointers stay in the shared table until the next call (read them with `tracePath`).
 */
export function beamEditDistance(
  hyp: WordIds,
  hypLen: number,
  ref: WordIds,
  refLen: number,
  beamWidth: number = TER_BEAM_WIDTH,
): number {
  const stride = refLen + 1;
  const cells = stride * (hypLen + 1);
  ensureTables(cells);
  const S = costTable;
  const P = backTable;
  S.fill(-1, 0, cells);
  P.fill(AlignOp.Unset, 0, cells);
  S[0] = 0;

  let currentBest = INF;
  let lastBest = INF;
  let currentFirstGood = 0;
  let curLastGood = 0;

  for (let j = 0; j <= hypLen; j++) {
    lastBest = currentBest;
    currentBest = INF;
    const firstGood = currentFirstGood;
    currentFirstGood = -1;
    let lastGood = curLastGood;
    curLastGood = -1;

    const col = j * stride; // column j
    const nextCol = col + stride; // column j + 1
    const hypWord = j < hypLen ? hyp[j]! : -1;

    for (let i = firstGood; i <= refLen; i++) {
      if (i > lastGood) break;
      const score = S[col + i]!;
      if (score < 0) continue;
      if (j < hypLen && score > lastBest + beamWidth) continue;
      if (currentFirstGood === -1) currentFirstGood = i;

      if (i < refLen && j < hypLen) {
        const diag = nextCol + i + 1;
        if (ref[i] === hypWord) {
          const cost = score; // match cost 0
          if (S[diag] === -1 || cost < S[diag]!) {
            S[diag] = cost;
            P[diag] = AlignOp.Match;
          }
          if (cost < currentBest) currentBest = cost;
        } else {
          const cost = score + 1;
          if (S[diag]! < 0 || cost < S[diag]!) {
            S[diag] = cost;
            P[diag] = AlignOp.Substitute;
            if (cost < currentBest) currentBest = cost;
          }
        }
      }

      curLastGood = i + 1;

      if (j < hypLen) {
        const right = nextCol + i;
        const icost = score + 1;
        if (S[right]! < 0 || S[right]! > icost) {
          S[right] = icost;
          P[right] = AlignOp.Insert;
        }
      }

      if (i < refLen) {
        const down = col + i + 1;
        const dcost = score + 1;
        if (S[down]! < 0 || S[down]! > dcost) {
          S[down] = dcost;
          P[down] = AlignOp.Delete;
          if (i >= lastGood) lastGood = i + 1;
        }
      }
    }
  }
  return S[hypLen * stride + refLen]!;
}

/** Reads the alignment path of the last `beamEditDistance` call (same lengths), from the start of both sequences. */
export function tracePath(hypLen: number, refLen: number): Uint8Array {
  const stride = refLen + 1;
  const reversed: number[] = [];
  let i = refLen;
  let j = hypLen;
  while (i > 0 || j > 0) {
    const op = backTable[j * stride + i]!;
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
