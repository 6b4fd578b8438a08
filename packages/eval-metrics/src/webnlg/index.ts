export { unidecode } from './unidecode.js';
export { parseXml, elementText, iterElements, type XmlElement, type XmlNode } from './xml.js';
export {
  readWebnlgBenchmark,
  entryLineNumber,
  WEBNLG_CATEGORIES,
  WEBNLG_SEEN_CATEGORIES,
  WEBNLG_UNSEEN_CATEGORIES,
  type WebnlgEntry,
} from './benchmark.js';
export { preprocessWebnlgReference, preprocessWebnlgHypothesis, spaceNonWordChars } from './preprocess.js';
export { splitEntries, naturalCompare, WEBNLG_SPLITS, WEBNLG_SPLIT_FILE_TAG, type WebnlgSplitName } from './splits.js';
export { webnlgReferenceFiles, naturalOrderReferences } from './reference-files.js';
export {
  scoreWebnlgHypotheses,
  webnlgSplitInputs,
  OFFICIAL_WEBNLG_METRICS,
  type WebnlgMetricFunctions,
  type WebnlgSplitInputs,
  type WebnlgSplitScores,
  type WebnlgScores,
  type ScoreWebnlgOptions,
  type TerSummary,
  type MeteorSummary,
} from './pipeline.js';
