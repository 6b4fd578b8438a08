/**
 * Sentence and corpus TER as tercom 0.7.25 reports them (`java -jar tercom.7.25.jar -h hyp -r ref`, default options).
 *
 * Per segment, tercom scores the hypothesis against every reference and keeps the one with the fewest edits (the
 * first on ties), but divides by the AVERAGE token count of all that segment's references, not by the length of the
 * reference it chose. The corpus score is total edits / total average reference length, summed in segment order
 * (the sums are doubles, so the order is kept to reproduce tercom's figures to the last bit).
 */
import { TerInputError } from './errors.js';
import type { WordIds } from './edit-distance.js';
import { shiftedEdits, shiftedEditsLowerBound } from './shift-search.js';
import {
  foldCase,
  javaTrim,
  resolveTextOptions,
  tercomTokenize,
  type ResolvedTerTextOptions,
  type TerTextOptions,
} from './tokenize.js';

export type TerOptions = TerTextOptions;

export interface TerResult {
  /** edits / refLength (sentence: tercom's rule for a zero length — 1 if any edit, else 0). */
  score: number;
  /** Edits against the best reference: insertions + deletions + substitutions + shifts. */
  edits: number;
  /** Average token count of the references (summed over segments for a corpus). */
  refLength: number;
}

/** Interns words as integer ids (shared by all segments of one call). */
class WordIndex {
  private readonly ids = new Map<string, number>();
  idsOf(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let k = 0; k < tokens.length; k++) {
      const word = tokens[k]!;
      let id = this.ids.get(word);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(word, id);
      }
      out[k] = id;
    }
    return out;
  }
}

/** One hypothesis / reference pair: tokenised ids, or tercom's TERnullstr result when either text is empty. */
type PreparedPair =
  | { kind: 'empty'; edits: number; refWords: number }
  | { kind: 'words'; hyp: WordIds; ref: WordIds; floor: number };

/** tercom `TERcalc.TER(String, String)` up to the shift search, for a hypothesis and a reference already trimmed. */
function preparePair(hypText: string, refText: string, opts: ResolvedTerTextOptions, words: WordIndex): PreparedPair {
  const hyp = foldCase(hypText, opts);
  const ref = foldCase(refText, opts);
  if (hyp.length === 0 || ref.length === 0) {
    // tercom's TERnullstr: everything deleted, or everything inserted, with no shift search.
    if (hyp.length === 0 && ref.length === 0) return { kind: 'empty', edits: 0, refWords: 0 };
    if (hyp.length === 0) {
      const n = tercomTokenize(ref, opts).length;
      return { kind: 'empty', edits: n, refWords: n };
    }
    return { kind: 'empty', edits: tercomTokenize(hyp, opts).length, refWords: 0 };
  }
  const hypIds = words.idsOf(tercomTokenize(hyp, opts));
  const refIds = words.idsOf(tercomTokenize(ref, opts));
  return { kind: 'words', hyp: hypIds, ref: refIds, floor: shiftedEditsLowerBound(hypIds, refIds) };
}

/**
 * tercom `score_all_refs`: fewest edits over the references, average reference length.
 *
 * Only the fewest edits are reported, not which reference gave them, so the references may be scored in any
 * order: they are taken by increasing lower bound of their edits, and the shift search is skipped for those whose
 * bound already reaches the fewest edits found.
 */
function scoreSegment(
  hypText: string,
  refTexts: readonly string[],
  opts: ResolvedTerTextOptions,
  words: WordIndex,
): { edits: number; refLength: number } {
  let bestEdits = Infinity;
  let totalWords = 0;
  const searches: { hyp: WordIds; ref: WordIds; floor: number }[] = [];
  for (const ref of refTexts) {
    const pair = preparePair(hypText, ref, opts, words);
    if (pair.kind === 'empty') {
      bestEdits = Math.min(bestEdits, pair.edits);
      totalWords += pair.refWords;
    } else {
      searches.push(pair);
      totalWords += pair.ref.length;
    }
  }
  searches.sort((a, b) => a.floor - b.floor);
  for (const { hyp, ref, floor } of searches) {
    if (floor >= bestEdits) break;
    bestEdits = Math.min(bestEdits, shiftedEdits(hyp, ref).edits);
  }
  return { edits: bestEdits, refLength: totalWords / refTexts.length };
}

/**
 * The references tercom would see for one segment: trimmed as its trans-file reader trims them and, unless
 * `keepEmpty`, with empty entries left out (the official WebNLG `-3ref.ter` file holds only the references an entry
 * has; a trans line with an empty text, on the other hand, is a reference of length 0 to tercom).
 */
function usableRefs(refs: readonly string[], segment: number, keepEmpty: boolean): string[] {
  const kept: string[] = [];
  for (const r of refs) {
    if (typeof r !== 'string') throw new TerInputError(segment, `reference is ${typeof r}, expected a string`);
    const t = javaTrim(r);
    if (t.length > 0 || keepEmpty) kept.push(t);
  }
  if (kept.length === 0) throw new TerInputError(segment, 'no non-empty reference (tercom: "No reference for segment")');
  return kept;
}

/** tercom's per-segment score: edits / average reference length; 1 for edits without reference words, else 0. */
function segmentScore(edits: number, refLength: number): number {
  if (refLength <= 0) return edits > 0 ? 1 : 0;
  return edits / refLength;
}

/** TER of one hypothesis against its references (empty references are ignored). */
export function sentenceTer(hyp: string, refs: readonly string[], options?: TerOptions): TerResult {
  if (typeof hyp !== 'string') throw new TerInputError(0, `hypothesis is ${typeof hyp}, expected a string`);
  if (!Array.isArray(refs)) throw new TerInputError(0, 'references must be an array of strings');
  const opts = resolveTextOptions(options);
  const seg = scoreSegment(javaTrim(hyp), usableRefs(refs, 0, false), opts, new WordIndex());
  return { score: segmentScore(seg.edits, seg.refLength), edits: seg.edits, refLength: seg.refLength };
}

/**
 * Corpus TER: `refs[i]` are the references of segment i (empty entries are ignored). Returns total edits, total
 * average reference length and their ratio, as tercom's "Total TER" line (a corpus whose references hold no word
 * gives 0/0 = NaN, as in tercom).
 */
export function corpusTer(hyps: readonly string[], refs: readonly (readonly string[])[], options?: TerOptions): TerResult {
  return scoreCorpus(hyps, refs, options, false);
}

/** Corpus TER; `keepEmptyRefs` keeps empty references as zero-length ones (tercom reading a trans file). */
export function scoreCorpus(
  hyps: readonly string[],
  refs: readonly (readonly string[])[],
  options: TerOptions | undefined,
  keepEmptyRefs: boolean,
): TerResult {
  if (!Array.isArray(hyps) || !Array.isArray(refs)) {
    throw new TerInputError(-1, 'hyps must be an array of strings and refs an array of string arrays');
  }
  if (hyps.length !== refs.length) {
    throw new TerInputError(-1, `${hyps.length} hypotheses but ${refs.length} reference lists`);
  }
  if (hyps.length === 0) throw new TerInputError(-1, 'empty corpus: no segment to score');
  const opts = resolveTextOptions(options);
  const words = new WordIndex();
  let totalEdits = 0;
  let totalWords = 0;
  for (let i = 0; i < hyps.length; i++) {
    const hyp = hyps[i];
    if (typeof hyp !== 'string') throw new TerInputError(i, `hypothesis is ${typeof hyp}, expected a string`);
    const segRefs = refs[i];
    if (!Array.isArray(segRefs)) throw new TerInputError(i, 'references must be an array of strings');
    const seg = scoreSegment(javaTrim(hyp), usableRefs(segRefs, i, keepEmptyRefs), opts, words);
    totalEdits += seg.edits;
    totalWords += seg.refLength;
  }
  return { score: totalEdits / totalWords, edits: totalEdits, refLength: totalWords };
}
