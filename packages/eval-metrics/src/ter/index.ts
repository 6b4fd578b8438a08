/**
 * TER exactly as tercom 0.7.25 computes it (GitHub issue 5), the scorer of the official WebNLG 2017 evaluation
 * (`java -jar tercom.7.25.jar -h <hyp> -r <refs-3ref.ter>`, default options).
 *
 * - Words: the text is lower-cased (tercom's default; `lowercase: false` = `-s`), optionally normalised
 *   (`normalize: true` = `-N`) and stripped of `. , ? : ; ! " ( )` (`punctuation: false` = `-P`), then split on
 *   Java whitespace.
 * - Edits: tercom's beam-limited (width 20) word edit distance plus its greedy block shifts (blocks of up to 10
 *   words, moved at most 50 words, 1 edit each), with tercom's candidate order and tie-breaking.
 * - Several references: the fewest edits over the references, divided by the MEAN token count of all of them.
 * - Corpus: total edits / total mean reference length.
 */
export { sentenceTer, corpusTer, type TerOptions, type TerResult } from './score.js';
export {
  parseTercomTrans,
  groupTercomTrans,
  corpusTerFromTrans,
  type TercomTransEntry,
  type ParseTercomTransOptions,
} from './trans-format.js';
export { TerError, TerInputError, TercomTransFormatError } from './errors.js';
