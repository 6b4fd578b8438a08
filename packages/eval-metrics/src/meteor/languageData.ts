/**
 * METEOR 1.5 settings for language 'en' with the default task ("rank"), as used by `-l en`. These numbers and word
 * lists are part of the metric's definition: changing any of them changes every score.
 */

/** The four matching modules, in METEOR's default English stage order. */
export type MeteorModule = 'exact' | 'stem' | 'synonym' | 'paraphrase';

/** alpha (precision/recall balance), beta (fragmentation exponent), gamma (max penalty), delta (content weight). */
export interface MeteorParameters {
  alpha: number;
  beta: number;
  gamma: number;
  delta: number;
}

export const ENGLISH_PARAMETERS: Readonly<MeteorParameters> = Object.freeze({
  alpha: 0.85,
  beta: 0.2,
  gamma: 0.6,
  delta: 0.75,
});

/**
 * The default English module list and its weights. Like the jar, a custom module list (`-m`) takes its weights by
 * POSITION from this weight list (so `-m "exact synonym"` weighs synonym matches 0.6), unless weights are given.
 */
export const ENGLISH_MODULES: readonly MeteorModule[] = Object.freeze(['exact', 'stem', 'synonym', 'paraphrase']);
export const ENGLISH_MODULE_WEIGHTS: readonly number[] = Object.freeze([1.0, 0.6, 0.8, 0.6]);

/** The beam width of the alignment search (`-x`, default 40). */
export const DEFAULT_BEAM_SIZE = 40;

/**
 * Weights the aligner uses while searching (not while scoring): an exact match counts 1 per word, every other module
 * 0.5 per word, and the running totals are Java ints (the fractional part is dropped after every addition).
 */
export function searchWeight(module: MeteorModule): number {
  return module === 'exact' ? 1.0 : 0.5;
}

/**
 * English function words: matches and lengths of these count (1 - delta), all other words delta. Compared after
 * lower-casing the token. Includes punctuation tokens as the -norm tokenizer emits them.
 */
export const ENGLISH_FUNCTION_WORDS: ReadonlySet<string> = new Set([
  'the', ',', '.', 'to', 'of', 'and', 'a', 'in', 'that', 'for', '"', 'is', 'on', "'s", 'it', 'with', 'was', 'as',
  'said', 'at', 'he', 'by', 'be', 'from', 'have', 'has', 'are', 'his', 'but', 'an', 'this', 'not', 'i', 'will',
  '\u2019', 'they', ')', '-rrb-', '(', '-lrb-', 'who', 'their', 'had', 'we', 'which', 'were', 'been', 'more', 'or',
  's', 'its', 'would', 'about', 'new', 'one', 'after', 'you', ':', 'also', 'up', 'when', 'there', 'than', '$', 'all',
  'out', 'her', 'people', 'she', 'year', 'two', '-', 'can', 'if', 'last', 'first', '\u201c', 'over', 'other',
  '\u201d', 'into', 'some', 'what', 'so', '--', 'no', 'time', 'years', 'could', '?', "'t", '\u2014', "'",
]);

/** How a nonbreaking prefix keeps its trailing dot: always, or only before a number. */
export type NonbreakingKind = 'any' | 'numeric-only';

/** English nonbreaking prefixes of the -norm tokenizer (the Moses list): "Dr." keeps its dot, "No." only before digits. */
export const ENGLISH_NONBREAKING_PREFIXES: ReadonlyMap<string, NonbreakingKind> = new Map<string, NonbreakingKind>([
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((letter): [string, NonbreakingKind] => [letter, 'any']),
  ...[
    'Adj', 'Adm', 'Adv', 'Asst', 'Bart', 'Bldg', 'Brig', 'Bros', 'Capt', 'Cmdr', 'Col', 'Comdr', 'Con', 'Corp', 'Cpl',
    'DR', 'Dr', 'Drs', 'Ens', 'Gen', 'Gov', 'Hon', 'Hr', 'Hosp', 'Insp', 'Lt', 'MM', 'MR', 'MRS', 'MS', 'Maj',
    'Messrs', 'Mlle', 'Mme', 'Mr', 'Mrs', 'Ms', 'Msgr', 'Op', 'Ord', 'Pfc', 'Ph', 'Prof', 'Pvt', 'Rep', 'Reps', 'Res',
    'Rev', 'Rt', 'Sen', 'Sens', 'Sfc', 'Sgt', 'Sr', 'St', 'Supt', 'Surg', 'v', 'vs', 'i.e', 'rev', 'e.g', 'Nos', 'Nr',
  ].map((prefix): [string, NonbreakingKind] => [prefix, 'any']),
  ['No', 'numeric-only'],
  ['Art', 'numeric-only'],
  ['pp', 'numeric-only'],
]);
