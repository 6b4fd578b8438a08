// File-level entry points for the `peft metrics ...` CLI: read the files, score, and return one plain JSON-able
// object. Bad input raises MetricsInputError naming the file (and line) at fault.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsInputError } from './bleu/errors.js';
import { formatMultiBleu, multiBleu } from './bleu/multi-bleu.js';
import type { BleuResult } from './bleu/ngram-stats.js';
import { evaluateCoqa, type CoqaScores } from './coqa/evaluator.js';
import { corpusMeteor } from './meteor/index.js';
import { corpusTer } from './ter/index.js';
import { readWebnlgBenchmark } from './webnlg/benchmark.js';
import { scoreWebnlgHypotheses, type WebnlgMetricFunctions } from './webnlg/pipeline.js';
import type { WebnlgSplitName } from './webnlg/splits.js';


/** Reads a file as strict UTF-8. */
export function readTextFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MetricsInputError('UNREADABLE_FILE', `cannot read ${path}: ${reason}`, { file: path });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MetricsInputError('INVALID_UTF8', `${path} is not valid UTF-8`, { file: path });
  }
}

/**
 * The lines of a text: split on `separator`, without the empty piece after a final line break. A last line
 * without a line break counts as a line.
 */
function splitLines(text: string, separator: RegExp | string): string[] {
  const lines = text.split(separator);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Perl's `while(<FH>)` (multi-bleu.perl): lines end at '\n' only ('\r' stays, and is whitespace to BLEU). */
const PERL_LINE_BREAK = '\n';
/** Java's BufferedReader.readLine (tercom, METEOR) and Python's universal newlines: '\r\n', '\r' or '\n'. */
const UNIVERSAL_LINE_BREAK = /\r\n|\r|\n/;

export type FileMetric = 'bleu' | 'ter' | 'meteor';

export interface ScoreFilesOptions {
  metric: FileMetric;
  /** One hypothesis per line. */
  hyp: string;
  /** Reference files parallel to `hyp`; line i of each is a reference of segment i. */
  refs: string[];
  /**
   * BLEU: multi-bleu.perl's -lc (default false). TER: tercom folds case unless told otherwise (default true;
   * false = tercom -s). METEOR always runs with -norm, which lowercases.
   */
  lowercase?: boolean;
}

export interface BleuFileScore {
  metric: 'bleu';
  score: number;
  precisions: number[];
  bp: number;
  ratio: number;
  hyp_len: number;
  ref_len: number;
  segments: number;
  /** The line multi-bleu.perl prints. */
  formatted: string;
}

export interface TerFileScore {
  metric: 'ter';
  score: number;
  edits: number;
  ref_length: number;
  segments: number;
}

export interface MeteorFileScore {
  metric: 'meteor';
  score: number;
  precision: number;
  recall: number;
  fragmentation: number;
  penalty: number;
  segments: number;
}

export type FileScore = BleuFileScore | TerFileScore | MeteorFileScore;

export function bleuToJson(result: BleuResult): Omit<BleuFileScore, 'metric' | 'segments' | 'formatted'> {
  return {
    score: result.score,
    precisions: result.precisions,
    bp: result.bp,
    ratio: result.ratio,
    hyp_len: result.hypLen,
    ref_len: result.refLen,
  };
}

/**
 * Scores a hypothesis file against parallel reference files. A blank reference line is handed to the metric as
 * '': multi-bleu.perl counts it as an empty reference (it competes for the closest length), tercom ignores it
 * (no reference), METEOR scores it as an empty reference (which never wins over a real one).
 */
export function scoreFiles(options: ScoreFilesOptions): FileScore {
  const { metric, hyp, refs } = options;
  if (!['bleu', 'ter', 'meteor'].includes(metric)) {
    throw new MetricsInputError('INVALID_ARGUMENT', `unknown metric "${String(metric)}" (bleu, ter or meteor)`);
  }
  if (refs.length === 0) throw new MetricsInputError('INVALID_ARGUMENT', 'at least one reference file is needed');
  const separator = metric === 'bleu' ? PERL_LINE_BREAK : UNIVERSAL_LINE_BREAK;
  const hypLines = splitLines(readTextFile(hyp), separator);
  const refColumns = refs.map((file) => {
    const lines = splitLines(readTextFile(file), separator);
    if (lines.length !== hypLines.length) {
      throw new MetricsInputError(
        'LINE_COUNT_MISMATCH',
        `${hyp} has ${hypLines.length} lines but ${file} has ${lines.length}`,
        { file },
      );
    }
    return lines;
  });
  const segmentRefs = hypLines.map((_, i) => refColumns.map((column) => column[i]!));
  const segments = hypLines.length;
  if (metric === 'bleu') {
    const result = multiBleu(hypLines, segmentRefs, { lowercase: options.lowercase ?? false });
    return { metric, ...bleuToJson(result), segments, formatted: formatMultiBleu(result) };
  }
  if (metric === 'ter') {
    const result = corpusTer(hypLines, segmentRefs, { lowercase: options.lowercase ?? true });
    return { metric, score: result.score, edits: result.edits, ref_length: result.refLength, segments };
  }
  const result = corpusMeteor(hypLines, segmentRefs, { normalize: true });
  const { score, precision, recall, fragmentation, penalty } = result;
  return { metric, score, precision, recall, fragmentation, penalty, segments };
}

export interface ScoreWebnlgFilesOptions {
  /** One hypothesis per test entry, in testdata_with_lex.xml order (1,862 lines for WebNLG 2017). */
  hyp: string;
  /** A WebNLG 2017 release folder holding test/testdata_with_lex.xml. */
  dataDir: string;
  /** Replace or skip (null) TER / METEOR; default: this package's ports of the official tools. */
  metrics?: Partial<WebnlgMetricFunctions>;
}

export interface WebnlgSplitJson {
  segments: number;
  bleu: ReturnType<typeof bleuToJson>;
  meteor: { score: number; precision: number; recall: number; fragmentation: number; penalty: number } | null;
  ter: { score: number; edits: number; ref_length: number } | null;
}

export type WebnlgFileScore = Record<WebnlgSplitName, WebnlgSplitJson>;

/** The official WebNLG 2017 evaluation of a hypothesis file: BLEU, METEOR, TER on seen / unseen / all. */
export function scoreWebnlg(options: ScoreWebnlgFilesOptions): WebnlgFileScore {
  const xmlFile = join(options.dataDir, 'test', 'testdata_with_lex.xml');
  const entries = readWebnlgBenchmark(readTextFile(xmlFile), xmlFile);
  // evaluation.py reads the hypotheses with Python's universal newlines.
  const hypLines = splitLines(readTextFile(options.hyp), UNIVERSAL_LINE_BREAK);
  const scores = scoreWebnlgHypotheses(hypLines, entries, { hypFile: options.hyp, metrics: options.metrics });
  const json = {} as WebnlgFileScore;
  for (const split of ['seen', 'unseen', 'all'] as const) {
    const { segments, bleu, meteor, ter } = scores[split];
    json[split] = {
      segments,
      bleu: bleuToJson(bleu),
      meteor,
      ter: ter ? { score: ter.score, edits: ter.edits, ref_length: ter.refLength } : null,
    };
  }
  return json;
}

export interface ScoreCoqaFilesOptions {
  /** The gold file in coqa-dev-v1.0.json layout. */
  dataFile: string;
  /** A JSON array of {id, turn_id, answer}. */
  predFile: string;
}

export interface CoqaFileScore {
  /** Overall EM / F1 in percent, rounded to 1 decimal as the official script prints them. */
  em: number;
  f1: number;
  turns: number;
  /** Gold turns with no prediction (scored 0). */
  missing_predictions: number;
  /** The official script's full output: 7 domains, in_domain, out_domain, overall. */
  scores: CoqaScores;
}

function readJsonFile(path: string): unknown {
  const text = readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MetricsInputError('INVALID_JSON', `${path} is not valid JSON: ${reason}`, { file: path });
  }
}

/** CoQA EM / F1 as `evaluate-v1.0.py --data-file F --pred-file F`. */
export function scoreCoqa(options: ScoreCoqaFilesOptions): CoqaFileScore {
  const gold = readJsonFile(options.dataFile);
  const preds = readJsonFile(options.predFile);
  const { scores, missing } = evaluateCoqa(gold, preds, { goldFile: options.dataFile, predFile: options.predFile });
  const overall = scores.overall!;
  return { em: overall.em, f1: overall.f1, turns: overall.turns, missing_predictions: missing.length, scores };
}
