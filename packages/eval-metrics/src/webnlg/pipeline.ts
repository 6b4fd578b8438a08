// The official WebNLG 2017 scoring (DART run_eval_on_webnlg.sh: evaluation.py + multi-bleu.perl -lc with 3
// references, METEOR 1.5 -l en -norm -r 3, tercom 0.7.25) on the seen / unseen / all splits, in one process.

import { MetricsInputError } from '../bleu/errors.js';
import { multiBleu } from '../bleu/multi-bleu.js';
import type { BleuResult } from '../bleu/ngram-stats.js';
import { corpusMeteor } from '../meteor/index.js';
import { corpusTer } from '../ter/index.js';
import { type WebnlgEntry, entryLineNumber } from './benchmark.js';
import { preprocessWebnlgHypothesis, preprocessWebnlgReference } from './preprocess.js';
import { naturalOrderReferences } from './reference-files.js';
import { WEBNLG_SPLITS, type WebnlgSplitName, splitEntries } from './splits.js';

export interface TerSummary {
  score: number;
  edits: number;
  refLength: number;
}

export interface MeteorSummary {
  score: number;
  precision: number;
  recall: number;
  fragmentation: number;
  penalty: number;
}

/** The sibling metrics as agreed; injectable so the pipeline can be tested or timed without them. */
export interface WebnlgMetricFunctions {
  ter: ((hyps: string[], refs: string[][]) => TerSummary) | null;
  meteor: ((hyps: string[], refs: string[][]) => MeteorSummary) | null;
}

export const OFFICIAL_WEBNLG_METRICS: WebnlgMetricFunctions = {
  ter: (hyps, refs) => corpusTer(hyps, refs),
  meteor: (hyps, refs) => corpusMeteor(hyps, refs, { normalize: true }),
};

/** The inputs of the three scorers for one split, already preprocessed. */
export interface WebnlgSplitInputs {
  /** teams/<team>_<tag>.txt lines. */
  hyps: string[];
  /** Lines i of reference0..2.lex (natural id order; '' where an entry has fewer references). */
  bleuRefs: string[][];
  /** The 3 lines per segment of -3ref.meteor (blank-padded). */
  meteorRefs: string[][];
  /** The references with id k in -3ref.ter (k-th entry in document order, at most 3). */
  terRefs: string[][];
}

export interface WebnlgSplitScores {
  segments: number;
  bleu: BleuResult;
  ter: TerSummary | null;
  meteor: MeteorSummary | null;
}

export type WebnlgScores = Record<WebnlgSplitName, WebnlgSplitScores>;

/**
 * The hypothesis lines of one split: all lines for 'all' (evaluation.py writes the whole output there), else
 * the lines of the split's entries by their eid number, ascending.
 */
function splitHypothesisLines(
  lines: readonly string[],
  entries: readonly WebnlgEntry[],
  split: WebnlgSplitName,
  hypFile: string | undefined,
): string[] {
  if (split === 'all') return [...lines];
  const numbers = splitEntries(entries, split)
    .map((entry) => entryLineNumber(entry))
    .sort((a, b) => a - b);
  return numbers.map((n) => {
    const line = lines[n - 1];
    if (line === undefined) {
      throw new MetricsInputError('LINE_COUNT_MISMATCH', `hypothesis line ${n} is missing`, { file: hypFile, line: n });
    }
    return line;
  });
}

export function webnlgSplitInputs(
  rawHypLines: readonly string[],
  entries: readonly WebnlgEntry[],
  split: WebnlgSplitName,
  hypFile?: string,
): WebnlgSplitInputs {
  const splitList = splitEntries(entries, split);
  const natural = naturalOrderReferences(splitList);
  const refCount = Math.max(...natural.map((refs) => refs.length));
  const bleuFiles = Math.min(3, refCount);
  return {
    hyps: splitHypothesisLines(rawHypLines, entries, split, hypFile).map(preprocessWebnlgHypothesis),
    bleuRefs: natural.map((refs) => Array.from({ length: bleuFiles }, (_, j) => refs[j] ?? '')),
    meteorRefs: natural.map((refs) => [0, 1, 2].map((j) => refs[j] ?? '')),
    terRefs: splitList.map((entry) => entry.lexs.slice(0, 3).map(preprocessWebnlgReference)),
  };
}

export interface ScoreWebnlgOptions {
  /** Replaces TER / METEOR (null = skip that metric). Default: this package's tercom / METEOR 1.5 ports. */
  metrics?: Partial<WebnlgMetricFunctions>;
  /** Named in errors. */
  hypFile?: string;
}

/**
 * Scores one hypothesis per test entry (line k = entry Id k) on the seen, unseen and all splits.
 * The line count must equal the number of entries (1,862 for WebNLG 2017).
 */
export function scoreWebnlgHypotheses(
  hypLines: readonly string[],
  entries: readonly WebnlgEntry[],
  options: ScoreWebnlgOptions = {},
): WebnlgScores {
  if (hypLines.length !== entries.length) {
    throw new MetricsInputError(
      'LINE_COUNT_MISMATCH',
      `${options.hypFile ?? 'hypotheses'} has ${hypLines.length} lines but the benchmark has ${entries.length} entries ` +
        '(one line per entry, in test-file order, is required)',
      { file: options.hypFile },
    );
  }
  const metrics: WebnlgMetricFunctions = { ...OFFICIAL_WEBNLG_METRICS, ...options.metrics };
  const scores = {} as WebnlgScores;
  for (const split of WEBNLG_SPLITS) {
    const inputs = webnlgSplitInputs(hypLines, entries, split, options.hypFile);
    scores[split] = {
      segments: inputs.hyps.length,
      bleu: multiBleu(inputs.hyps, inputs.bleuRefs, { lowercase: true }),
      ter: metrics.ter ? pickTer(metrics.ter(inputs.hyps, inputs.terRefs)) : null,
      meteor: metrics.meteor ? pickMeteor(metrics.meteor(inputs.hyps, inputs.meteorRefs)) : null,
    };
  }
  return scores;
}

function pickTer(result: TerSummary): TerSummary {
  return { score: result.score, edits: result.edits, refLength: result.refLength };
}

function pickMeteor(result: MeteorSummary): MeteorSummary {
  const { score, precision, recall, fragmentation, penalty } = result;
  return { score, precision, recall, fragmentation, penalty };
}
