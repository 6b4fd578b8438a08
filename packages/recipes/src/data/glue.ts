import { DataFormatError } from '../errors.js';
import { readTextFile } from './read-file.js';
import { columnIndex, parseTsv } from './tsv.js';

/** A sentence or sentence-pair classification example. */
export interface GlueExample {
  readonly textA: string;
  readonly textB?: string;
  readonly label: number;
  /** 1-based line in its file. */
  readonly line: number;
}

/** MNLI labels as in the GLUE data set (spec §7.4). */
export const MNLI_LABELS = ['entailment', 'neutral', 'contradiction'] as const;
export const SST2_LABELS = ['negative', 'positive'] as const;

/** SST-2 `train.tsv` / `dev.tsv`: header `sentence\tlabel`, label 0/1. */
export function loadSst2(file: string): GlueExample[] {
  const text = readTextFile(file);
  const t = parseTsv(text, file);
  const si = columnIndex(t, 'sentence', file);
  const li = columnIndex(t, 'label', file);
  return t.rows.map(({ line, cells }) => {
    const raw = cells[li]!.trim();
    if (raw !== '0' && raw !== '1') throw new DataFormatError(file, line, `label must be 0 or 1, got '${raw}'`);
    return { textA: cells[si]!, label: Number(raw), line };
  });
}

/**
 * MNLI in the official GLUE tsv layout (`index, promptID, pairID, genre, sentence1_binary_parse, …, sentence1,
 * sentence2, [label1…label5], gold_label`; train, dev_matched, dev_mismatched). Columns are found by name. Labels map
 * entailment 0, neutral 1, contradiction 2. Rows whose gold label is `-` (no annotator majority) are skipped, as the GLUE
 * loaders do.
 */
export function loadMnli(file: string): GlueExample[] {
  const text = readTextFile(file);
  const t = parseTsv(text, file);
  const a = columnIndex(t, 'sentence1', file);
  const b = columnIndex(t, 'sentence2', file);
  const g = columnIndex(t, 'gold_label', file);
  const out: GlueExample[] = [];
  for (const { line, cells } of t.rows) {
    const gold = cells[g]!.trim();
    if (gold === '-') continue;
    const label = (MNLI_LABELS as readonly string[]).indexOf(gold);
    if (label < 0) throw new DataFormatError(file, line, `gold_label must be one of ${MNLI_LABELS.join(', ')} or '-', got '${gold}'`);
    out.push({ textA: cells[a]!, textB: cells[b]!, label, line });
  }
  return out;
}
