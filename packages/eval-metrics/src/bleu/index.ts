export { multiBleu, multiBleuStats, multiBleuFromStats, formatMultiBleu, type MultiBleuOptions } from './multi-bleu.js';
export {
  sacreBleu,
  sacreBleuStats,
  sacreBleuFromStats,
  type SacreBleuOptions,
  type SacreBleuTokenizer,
  type SacreBleuSmoothing,
} from './sacrebleu.js';
export { tokenize13a } from './tokenize-13a.js';
export type { BleuResult, BleuStats } from './ngram-stats.js';
export { MetricsInputError, type MetricsInputErrorCode } from './errors.js';
export { formatFixed, pyRound } from './decimal-format.js';
