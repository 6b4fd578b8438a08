// TER as tercom 0.7.25 computes it (GitHub issue 5): sentence and corpus scores, and its trans file format.
export { sentenceTer, corpusTer, type TerOptions, type TerResult } from './score.js';
export {
  parseTercomTrans,
  groupTercomTrans,
  corpusTerFromTrans,
  type TercomTransEntry,
  type ParseTercomTransOptions,
} from './trans-format.js';
export { TerError, TerInputError, TercomTransFormatError } from './errors.js';
