/**
 * METEOR 1.5's aligner. Candidate matches between hypothesis (line 1) and reference (line 2) words are collected
 * stage by stage (exact, stem, synonym, paraphrase, in the configured order); matches that are the only candidate
 * for all their words are fixed; the rest is resolved by a left-to-right beam search over reference positions that
 * prefers (1) more matched words, weighted 1 for exact and 0.5 for other stages with Java int truncation, (2) fewer
 * chunks, (3) smaller summed position distance. Quirks of the Java code that change which alignment wins are kept
 * on purpose (see comments marked "as the jar").
 */
import { javaHashCode } from './javaString.js';
import { DEFAULT_BEAM_SIZE, ENGLISH_FUNCTION_WORDS, searchWeight, type MeteorModule } from './languageData.js';
import { phrasesStartingAt, type ParaphraseTable } from './paraphrase.js';
import { stemEnglish } from './stem.js';
import { synonymSetIds, type SynonymDictionary } from './synonyms.js';

/** One match: words [start, start+length) of the reference with [matchStart, matchStart+matchLength) of the hypothesis. */
export interface Match {
  readonly start: number;
  readonly length: number;
  readonly matchStart: number;
  readonly matchLength: number;
  /** index of the stage (position in the module list) that found it */
  readonly stage: number;
}

/** What the aligner needs besides the two word lists. */
export interface AlignerConfig {
  readonly modules: readonly MeteorModule[];
  readonly beamSize?: number;
  readonly synonyms?: SynonymDictionary;
  readonly paraphrases?: ParaphraseTable;
}

/** The chosen alignment and its per-stage content/function word counts. */
export interface Alignment {
  readonly hypWords: readonly string[];
  readonly refWords: readonly string[];
  /** matches[j]: the match starting at reference word j, or null */
  readonly matches: readonly (Match | null)[];
  readonly hypFunctionWords: number;
  readonly refFunctionWords: number;
  /** [stage]: matched hypothesis content words */
  readonly hypContentMatches: number[];
  readonly refContentMatches: number[];
  readonly hypFunctionMatches: number[];
  readonly refFunctionMatches: number[];
  readonly hypMatchedWords: number;
  readonly refMatchedWords: number;
  readonly chunks: number;
}

/** Candidate matches grouped by reference start index, and how many candidates cover each word. */
interface Stage {
  readonly hypKeys: Int32Array;
  readonly refKeys: Int32Array;
  readonly candidates: Match[][];
  readonly hypCoverage: Int32Array;
  readonly refCoverage: Int32Array;
}

function addCandidate(stage: Stage, m: Match): void {
  stage.candidates[m.start]!.push(m);
  for (let k = 0; k < m.matchLength; k++) stage.hypCoverage[m.matchStart + k]!++;
  for (let k = 0; k < m.length; k++) stage.refCoverage[m.start + k]!++;
}

function oneToOne(stageIndex: number, j: number, i: number): Match {
  return { start: j, length: 1, matchStart: i, matchLength: 1, stage: stageIndex };
}

// Words are compared by their Java hash codes, as the jar does ("collisions statistically insignificant").
function matchExact(stageIndex: number, s: Stage): void {
  for (let j = 0; j < s.refKeys.length; j++) {
    for (let i = 0; i < s.hypKeys.length; i++) if (s.hypKeys[i] === s.refKeys[j]) addCandidate(s, oneToOne(stageIndex, j, i));
  }
}

function matchStem(stageIndex: number, s: Stage, hyp: readonly string[], ref: readonly string[]): void {
  const hypStems = hyp.map((w) => javaHashCode(stemEnglish(w)));
  const refStems = ref.map((w) => javaHashCode(stemEnglish(w)));
  for (let j = 0; j < ref.length; j++) {
    for (let i = 0; i < hyp.length; i++) {
      if (hypStems[i] === refStems[j] && s.hypKeys[i] !== s.refKeys[j]) addCandidate(s, oneToOne(stageIndex, j, i));
    }
  }
}

const synonymCache = new WeakMap<SynonymDictionary, Map<string, Set<number>>>();

function cachedSynonymSets(word: string, dictionary: SynonymDictionary): Set<number> {
  let cache = synonymCache.get(dictionary);
  if (cache === undefined) {
    cache = new Map();
    synonymCache.set(dictionary, cache);
  }
  let ids = cache.get(word);
  if (ids === undefined) {
    ids = synonymSetIds(word, dictionary);
    cache.set(word, ids);
  }
  return ids;
}

function matchSynonym(stageIndex: number, s: Stage, hyp: readonly string[], ref: readonly string[], dictionary: SynonymDictionary): void {
  // Which (i, j) pairs share a synset, found through an index from synset id to hypothesis positions.
  const hypBySynset = new Map<number, number[]>();
  hyp.forEach((w, i) => {
    for (const id of cachedSynonymSets(w, dictionary)) {
      const positions = hypBySynset.get(id);
      if (positions === undefined) hypBySynset.set(id, [i]);
      else if (positions[positions.length - 1] !== i) positions.push(i);
    }
  });
  const shares = new Uint8Array(hyp.length);
  for (let j = 0; j < ref.length; j++) {
    shares.fill(0);
    for (const id of cachedSynonymSets(ref[j]!, dictionary)) {
      const positions = hypBySynset.get(id);
      if (positions !== undefined) for (const i of positions) shares[i] = 1;
    }
    for (let i = 0; i < hyp.length; i++) {
      if (shares[i] && s.hypKeys[i] !== s.refKeys[j]) addCandidate(s, oneToOne(stageIndex, j, i));
    }
  }
}

function occursAt(words: readonly string[], at: number, phrase: readonly string[]): boolean {
  if (at + phrase.length > words.length) return false;
  for (let k = 0; k < phrase.length; k++) if (words[at + k] !== phrase[k]) return false;
  return true;
}

function matchParaphrase(stageIndex: number, s: Stage, hyp: readonly string[], ref: readonly string[], table: ParaphraseTable): void {
  // Reference phrases at reference position j whose paraphrase occurs in the hypothesis ...
  for (let j = 0; j < ref.length; j++) {
    for (const [length, index] of phrasesStartingAt(table, ref, j)) {
      const phrase = table.paraphrases[index]!;
      for (let i = 0; i < hyp.length; i++) {
        if (occursAt(hyp, i, phrase)) addCandidate(s, { start: j, length, matchStart: i, matchLength: phrase.length, stage: stageIndex });
      }
    }
  }
  // ... then hypothesis phrases whose paraphrase occurs in the reference.
  for (let i = 0; i < hyp.length; i++) {
    for (const [length, index] of phrasesStartingAt(table, hyp, i)) {
      const phrase = table.paraphrases[index]!;
      for (let j = 0; j < ref.length; j++) {
        if (occursAt(ref, j, phrase)) addCandidate(s, { start: j, length: phrase.length, matchStart: i, matchLength: length, stage: stageIndex });
      }
    }
  }
}

/** Matches taken during the search, newest first (shared between paths instead of copying arrays). */
interface Taken {
  readonly match: Match;
  readonly previous: Taken | null;
}

/**
 * A path of the beam search (METEOR's PartialAlignment). Reference words used at or after the current index are
 * exactly the fixed matches' words plus [current, idx) (the tail of the last match), so only the hypothesis side
 * needs a per-path used-word set (a bitset).
 */
class Path {
  constructor(
    public taken: Taken | null,
    public hypUsed: number[],
    /** weighted matched words, Java ints */
    public weighted1: number,
    public weighted2: number,
    public chunks: number,
    /** next reference index to decide */
    public idx: number,
    /** end of the last match in the hypothesis, -1 when no chunk is open */
    public lastMatchEnd: number,
    public distance: number,
  ) {}

  branch(): Path {
    return new Path(this.taken, this.hypUsed.slice(), this.weighted1, this.weighted2, this.chunks, this.idx, this.lastMatchEnd, this.distance);
  }
}

function hypIsUsed(p: Path, m: Match): boolean {
  for (let k = 0; k < m.matchLength; k++) {
    const i = m.matchStart + k;
    if (p.hypUsed[i >>> 5]! & (1 << (i & 31))) return true;
  }
  return false;
}

function markHypUsed(used: number[], m: Match): void {
  for (let k = 0; k < m.matchLength; k++) {
    const i = m.matchStart + k;
    used[i >>> 5] = used[i >>> 5]! | (1 << (i & 31));
  }
}

/** More weighted matches first, then fewer chunks, then less distance (Constants.PARTIAL_COMPARE_TOTAL). */
function comparePaths(x: Path, y: Path): number {
  const matchDiff = y.weighted1 + y.weighted2 - (x.weighted1 + x.weighted2);
  if (matchDiff > 0) return 1;
  if (matchDiff < 0) return -1;
  if (x.chunks !== y.chunks) return x.chunks - y.chunks;
  return x.distance - y.distance;
}

/** Take match m on path p: weighted totals (truncated to Java ints), chunk break, next index. */
function extend(p: Path, m: Match, weights: readonly number[]): void {
  const weight = weights[m.stage]!;
  p.weighted1 = Math.trunc(p.weighted1 + m.matchLength * weight);
  p.weighted2 = Math.trunc(p.weighted2 + m.length * weight);
  if (p.lastMatchEnd !== -1 && m.matchStart !== p.lastMatchEnd) p.chunks++;
  p.idx = m.start + m.length;
  p.lastMatchEnd = m.matchStart + m.matchLength;
}

/** The fixed (sole-candidate) matches, by reference start, and the reference words they use. */
interface Fixed {
  readonly matches: readonly (Match | null)[];
  readonly refUsed: Uint8Array;
}

/**
 * The first `count` paths of a stable sort by comparePaths (Java's Collections.sort is stable: ties keep their
 * insertion order), found by insertion into a bounded sorted list instead of sorting every path.
 */
function bestPaths(paths: Path[], count: number): Path[] {
  if (paths.length <= count) return paths.sort(comparePaths); // Array.prototype.sort is stable too
  const best: Path[] = [];
  for (const p of paths) {
    if (best.length === count && comparePaths(p, best[count - 1]!) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePaths(best[mid]!, p) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, p);
    if (best.length > count) best.pop();
  }
  return best;
}

/** Candidates that can ever be taken: those touching no word of a fixed match (the others are always "used"). */
function openCandidates(s: Stage, fixed: Fixed, fixedHypUsed: readonly number[]): Match[][] {
  return s.candidates.map((list) =>
    list.filter((m) => {
      for (let k = 0; k < m.length; k++) if (fixed.refUsed[m.start + k]) return false;
      for (let k = 0; k < m.matchLength; k++) {
        const i = m.matchStart + k;
        if (fixedHypUsed[i >>> 5]! & (1 << (i & 31))) return false;
      }
      return true;
    }),
  );
}

function beamSearch(s: Stage, fixed: Fixed, start: Path, weights: readonly number[], beamSize: number): Path {
  const refLength = s.candidates.length;
  const open = openCandidates(s, fixed, start.hypUsed);
  let nextPaths: Path[] = [start];
  for (let current = 0; current <= refLength; current++) {
    const paths = bestPaths(nextPaths, beamSize);
    nextPaths = [];
    for (let rank = 0; rank < beamSize && rank < paths.length; rank++) {
      const path = paths[rank]!;
      if (current === refLength) {
        if (path.lastMatchEnd !== -1) path.chunks++;
        nextPaths.push(path);
        continue;
      }
      if (current < path.idx) {
        nextPaths.push(path); // inside a match already taken
        continue;
      }
      if (fixed.refUsed[current]) {
        const m = fixed.matches[path.idx];
        if (m) {
          extend(path, m, weights);
          path.distance += Math.abs(m.start - m.matchStart);
          nextPaths.push(path);
        } // otherwise the path is dropped, as the jar
        continue;
      }
      for (const m of open[current]!) {
        if (hypIsUsed(path, m)) continue;
        const branch = path.branch();
        markHypUsed(branch.hypUsed, m);
        branch.taken = { match: m, previous: branch.taken };
        extend(branch, m, weights);
        // As the jar: the distance is added to the path being branched from, not to the new branch, so later
        // branches and the "skip" path carry the distances of the earlier candidates.
        path.distance += Math.abs(m.start - m.matchStart);
        nextPaths.push(branch);
      }
      // Skip reference word `current`.
      if (path.lastMatchEnd !== -1) {
        path.chunks++;
        path.lastMatchEnd = -1;
      }
      path.idx++;
      nextPaths.push(path);
    }
    if (nextPaths.length === 0) nextPaths.push(paths[0]!);
  }
  return bestPaths(nextPaths, 1)[0]!;
}

/** Count matched words and chunks of a final alignment (chunk = run contiguous and in order in both lines). */
function countChunks(matches: readonly (Match | null)[]): { hyp: number; ref: number; chunks: number } {
  let hyp = 0;
  let ref = 0;
  let chunks = 0;
  let lastMatchEnd = -1;
  let idx = 0;
  while (idx < matches.length) {
    const m = matches[idx];
    if (!m) {
      if (lastMatchEnd !== -1) {
        chunks++;
        lastMatchEnd = -1;
      }
      idx++;
    } else {
      hyp += m.matchLength;
      ref += m.length;
      if (lastMatchEnd !== -1 && m.matchStart !== lastMatchEnd) chunks++;
      idx = m.start + m.length;
      lastMatchEnd = m.matchStart + m.matchLength;
    }
  }
  if (lastMatchEnd !== -1) chunks++;
  return { hyp, ref, chunks };
}

function hashKeys(words: readonly string[]): Int32Array {
  const keys = new Int32Array(words.length);
  for (let i = 0; i < words.length; i++) keys[i] = javaHashCode(words[i]!);
  return keys;
}

/** Align hypothesis words (line 1) to reference words (line 2). */
export function alignWords(hyp: readonly string[], ref: readonly string[], config: AlignerConfig): Alignment {
  const modules = config.modules;
  const s: Stage = {
    hypKeys: hashKeys(hyp),
    refKeys: hashKeys(ref),
    candidates: ref.map(() => []),
    hypCoverage: new Int32Array(hyp.length),
    refCoverage: new Int32Array(ref.length),
  };
  // Identical lines: only the first stage runs ("prevents beam search errors").
  const identical = hyp.length === ref.length && s.hypKeys.every((key, i) => key === s.refKeys[i]);
  const stagesUsed = identical ? 1 : modules.length;
  for (let stage = 0; stage < stagesUsed; stage++) {
    const module = modules[stage]!;
    if (module === 'exact') matchExact(stage, s);
    else if (module === 'stem') matchStem(stage, s, hyp, ref);
    else if (module === 'synonym') matchSynonym(stage, s, hyp, ref, config.synonyms!);
    else matchParaphrase(stage, s, hyp, ref, config.paraphrases!);
  }

  // Matches that are the sole candidate at their start and cover only words no other candidate covers are fixed.
  const fixedMatches = new Array<Match | null>(ref.length).fill(null);
  const fixedRefUsed = new Uint8Array(ref.length);
  const startHypUsed = new Array<number>((hyp.length + 31) >>> 5).fill(0);
  for (let j = 0; j < ref.length; j++) {
    const list = s.candidates[j]!;
    if (list.length !== 1) continue;
    const m = list[0]!;
    let overlap = false;
    for (let k = 0; k < m.length; k++) if (s.refCoverage[j + k] !== 1) overlap = true;
    for (let k = 0; k < m.matchLength; k++) if (s.hypCoverage[m.matchStart + k] !== 1) overlap = true;
    if (!overlap) {
      fixedMatches[j] = m;
      for (let k = 0; k < m.length; k++) fixedRefUsed[j + k] = 1;
      markHypUsed(startHypUsed, m);
    }
  }
  const weights = modules.map(searchWeight);
  const start = new Path(null, startHypUsed, 0, 0, 0, 0, -1, 0);
  const fixed: Fixed = { matches: fixedMatches, refUsed: fixedRefUsed };
  const best = beamSearch(s, fixed, start, weights, config.beamSize ?? DEFAULT_BEAM_SIZE);
  const finalMatches = fixedMatches.slice();
  for (let t = best.taken; t !== null; t = t.previous) finalMatches[t.match.start] = t.match;

  const zeros = (): number[] => new Array<number>(modules.length).fill(0);
  const hypContentMatches = zeros();
  const refContentMatches = zeros();
  const hypFunctionMatches = zeros();
  const refFunctionMatches = zeros();
  const hypIsFunction = hyp.map((w) => ENGLISH_FUNCTION_WORDS.has(w.toLowerCase()));
  const refIsFunction = ref.map((w) => ENGLISH_FUNCTION_WORDS.has(w.toLowerCase()));
  for (const m of finalMatches) {
    if (!m) continue;
    for (let k = 0; k < m.matchLength; k++) {
      if (hypIsFunction[m.matchStart + k]) hypFunctionMatches[m.stage]!++;
      else hypContentMatches[m.stage]!++;
    }
    for (let k = 0; k < m.length; k++) {
      if (refIsFunction[m.start + k]) refFunctionMatches[m.stage]!++;
      else refContentMatches[m.stage]!++;
    }
  }
  const counted = countChunks(finalMatches);
  return {
    hypWords: hyp,
    refWords: ref,
    matches: finalMatches,
    hypFunctionWords: hypIsFunction.filter(Boolean).length,
    refFunctionWords: refIsFunction.filter(Boolean).length,
    hypContentMatches,
    refContentMatches,
    hypFunctionMatches,
    refFunctionMatches,
    hypMatchedWords: counted.hyp,
    refMatchedWords: counted.ref,
    chunks: counted.chunks,
  };
}
