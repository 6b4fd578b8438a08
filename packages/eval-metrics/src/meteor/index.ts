/**
 * METEOR 1.5 as `java -jar meteor-1.5.jar hyp ref -l en -norm -r N` computes it (GitHub issue 5), in plain
 * TypeScript. Differences from the jar: the paraphrase module runs only when a paraphrase table is supplied (the
 * official data/paraphrase-en.gz is not bundled), so by default scores equal the jar's `-m "exact stem synonym"`
 * and differ from its default by the paraphrase matches.
 */
import { alignWords, type AlignerConfig } from './align.js';
import { MeteorInputError } from './errors.js';
import {
  DEFAULT_BEAM_SIZE,
  ENGLISH_MODULE_WEIGHTS,
  ENGLISH_PARAMETERS,
  type MeteorModule,
  type MeteorParameters,
} from './languageData.js';
import { meteorWords } from './normalize.js';
import type { ParaphraseTable } from './paraphrase.js';
import { addStats, computeScores, emptyStats, statsFromAlignment, type MeteorStats } from './score.js';
import { englishSynonyms, type SynonymDictionary } from './synonyms.js';

export { MeteorError, MeteorInputError, MeteorResourceError } from './errors.js';
export type { MeteorModule, MeteorParameters } from './languageData.js';
export { ENGLISH_PARAMETERS, ENGLISH_MODULE_WEIGHTS, ENGLISH_FUNCTION_WORDS } from './languageData.js';
export { normalizeMeteorLine, tokenizeEnglishLine } from './normalize.js';
export { stemEnglish } from './stem.js';
export { englishSynonyms, loadSynonymDictionary, morphBaseForm, synonymSetIds, type SynonymDictionary } from './synonyms.js';
export {
  addParaphrase,
  emptyParaphraseTable,
  loadParaphraseTable,
  parseParaphraseTable,
  type ParaphraseTable,
} from './paraphrase.js';
export type { Alignment, Match } from './align.js';
export type { MeteorStats, MeteorScores } from './score.js';

export interface MeteorOptions {
  /** `-norm`: METEOR's tokenizer + lower-casing (default true). false = the jar without -norm: whitespace split, case kept. */
  normalize?: boolean;
  /**
   * `-m`: stages in order. Default: exact, stem, synonym (+ paraphrase when `paraphraseTable` is given). As in the jar,
   * weights are taken by position from 1.0 0.6 0.8 0.6 unless `moduleWeights` is given.
   */
  modules?: MeteorModule[];
  /** `-w`: scoring weight per stage of `modules`. */
  moduleWeights?: number[];
  /** `-p`: alpha beta gamma delta (default 0.85 0.2 0.6 0.75). */
  parameters?: MeteorParameters;
  /** `-x`: beam size (default 40). */
  beamSize?: number;
  /** Table for the paraphrase module (METEOR's paraphrase-en format, see loadParaphraseTable). */
  paraphraseTable?: ParaphraseTable;
  /** Synonym dictionary (default: WordNet 3.0, as the jar). */
  synonyms?: SynonymDictionary;
}

export interface MeteorResult {
  /** corpus score from the summed statistics of each segment's best reference */
  score: number;
  precision: number;
  recall: number;
  fMean: number;
  /** corpus chunks / mean matched words */
  fragmentation: number;
  /** gamma * fragmentation^beta */
  penalty: number;
  /** score of each segment against its best reference (what the jar prints as "Segment i score") */
  segments: number[];
}

interface ResolvedConfig {
  aligner: AlignerConfig;
  weights: number[];
  parameters: MeteorParameters;
  normalize: boolean;
}

const KNOWN_MODULES: readonly MeteorModule[] = ['exact', 'stem', 'synonym', 'paraphrase'];

function resolveConfig(options: MeteorOptions): ResolvedConfig {
  const modules = options.modules ?? (options.paraphraseTable ? ['exact', 'stem', 'synonym', 'paraphrase'] : ['exact', 'stem', 'synonym']);
  if (modules.length === 0) throw new MeteorInputError(-1, 'options.modules: at least one module is needed');
  for (const m of modules) {
    if (!KNOWN_MODULES.includes(m)) throw new MeteorInputError(-1, `options.modules: unknown module "${String(m)}"`);
  }
  if (modules.includes('paraphrase') && !options.paraphraseTable) {
    throw new MeteorInputError(-1, 'options.modules: "paraphrase" needs options.paraphraseTable (the table is not bundled)');
  }
  const given = options.moduleWeights ?? ENGLISH_MODULE_WEIGHTS;
  const weights = modules.map((_, i) => given[i] ?? 0);
  if (weights.some((w) => !Number.isFinite(w))) throw new MeteorInputError(-1, 'options.moduleWeights: weights must be finite numbers');
  const beamSize = options.beamSize ?? DEFAULT_BEAM_SIZE;
  if (!Number.isInteger(beamSize) || beamSize < 1) throw new MeteorInputError(-1, `options.beamSize: expected a positive integer, got ${beamSize}`);
  return {
    aligner: {
      modules,
      beamSize,
      synonyms: modules.includes('synonym') ? (options.synonyms ?? englishSynonyms()) : undefined,
      paraphrases: options.paraphraseTable,
    },
    weights,
    parameters: options.parameters ?? ENGLISH_PARAMETERS,
    normalize: options.normalize ?? true,
  };
}

/** Statistics of the best reference for one segment: the first reference reaching the highest score. */
function bestReferenceStats(hypWords: string[], refs: readonly string[], config: ResolvedConfig): { stats: MeteorStats; score: number } {
  let best: { stats: MeteorStats; score: number } = { stats: emptyStats(config.weights.length), score: -1 };
  for (const ref of refs) {
    const stats = statsFromAlignment(alignWords(hypWords, meteorWords(ref, config.normalize), config.aligner));
    const { score } = computeScores(stats, config.parameters, config.weights);
    if (score > best.score) best = { stats, score };
  }
  return best;
}

/**
 * Corpus METEOR of hypotheses against references. refs[i] holds the references of segment i; '' entries (the blank
 * padding lines of a `-r 3` file) are scored like any reference, as the jar does, and so never win over a real one.
 */
export function corpusMeteor(hyps: string[], refs: string[][], options: MeteorOptions = {}): MeteorResult {
  if (hyps.length !== refs.length) {
    throw new MeteorInputError(-1, `hyps has ${hyps.length} segments but refs has ${refs.length}`);
  }
  const config = resolveConfig(options);
  const total = emptyStats(config.weights.length);
  const segments: number[] = [];
  for (let i = 0; i < hyps.length; i++) {
    const segmentRefs = refs[i]!;
    if (!Array.isArray(segmentRefs) || segmentRefs.length === 0) throw new MeteorInputError(i, 'no reference given');
    if (typeof hyps[i] !== 'string' || segmentRefs.some((r) => typeof r !== 'string')) {
      throw new MeteorInputError(i, 'hypothesis and references must be strings');
    }
    const { stats, score } = bestReferenceStats(meteorWords(hyps[i]!, config.normalize), segmentRefs, config);
    segments.push(score);
    addStats(total, stats);
  }
  const corpus = computeScores(total, config.parameters, config.weights);
  return {
    score: corpus.score,
    precision: corpus.precision,
    recall: corpus.recall,
    fMean: corpus.fMean,
    fragmentation: corpus.fragmentation,
    penalty: corpus.penalty,
    segments,
  };
}

/** METEOR of one hypothesis against its references (the jar's segment score). */
export function segmentMeteor(hyp: string, refs: string[], options: MeteorOptions = {}): number {
  return corpusMeteor([hyp], [refs], options).segments[0]!;
}
