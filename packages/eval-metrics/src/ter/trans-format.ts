/**
 * tercom's "trans" text format: one segment per line, `text (id)`, the id being the last parenthesised group of the
 * line. References share the id of their segment (one line per reference); blank lines are skipped. The reading
 * rules are tercom 0.7.25's `load_segs`: Java line breaks (\n, \r, \r\n), the line pattern
 * `^\s*(.*?)\s*\(([^()]+)\)\s*$` with Java's `\s`, and the text trimmed with Java `String.trim()`.
 */
import { TerInputError, TercomTransFormatError } from './errors.js';
import { scoreCorpus, type TerOptions, type TerResult } from './score.js';
import { javaTrim } from './tokenize.js';

export interface TercomTransEntry {
  id: string;
  text: string;
}

export interface ParseTercomTransOptions {
  /** Named in errors. Default 'tercom trans text'. */
  source?: string;
  /** 'throw' (default) raises on a line that is not `text (id)`; 'skip' drops it, as tercom does after a warning. */
  onInvalidLine?: 'throw' | 'skip';
}

const BLANK_LINE = /^[ \t\n\x0B\f\r]*$/;
// Java `.` stops at \n \r \u0085 \u2028 \u2029; Java `$` also matches before one final line terminator.
const TRANS_LINE =
  /^[ \t\n\x0B\f\r]*([^\n\r\u0085\u2028\u2029]*?)[ \t\n\x0B\f\r]*\(([^()]+)\)[ \t\n\x0B\f\r]*[\u0085\u2028\u2029]?$/;

/** Parses tercom trans text into entries in file order. */
export function parseTercomTrans(text: string, options?: ParseTercomTransOptions): TercomTransEntry[] {
  const source = options?.source ?? 'tercom trans text';
  const onInvalid = options?.onInvalidLine ?? 'throw';
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // text ending with a line break
  const entries: TercomTransEntry[] = [];
  lines.forEach((line, k) => {
    if (BLANK_LINE.test(line)) return;
    const m = TRANS_LINE.exec(line);
    if (m === null) {
      if (onInvalid === 'skip') return;
      throw new TercomTransFormatError(source, k + 1, `expected 'text (id)', found '${line.slice(0, 80)}'`);
    }
    entries.push({ id: m[2]!, text: javaTrim(m[1]!) });
  });
  return entries;
}

/** Groups trans entries by id, keeping first-appearance order of ids and file order within an id. */
export function groupTercomTrans(entries: readonly TercomTransEntry[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { id, text } of entries) {
    const texts = groups.get(id);
    if (texts === undefined) groups.set(id, [text]);
    else texts.push(text);
  }
  return groups;
}

const ID_WITH_RANK = /^[ \t\n\x0B\f\r]*([^\n\r\u0085\u2028\u2029]*):([^ ]*)[ \t\n\x0B\f\r]*$/;

/**
 * Corpus TER of two trans texts, paired as tercom's command line pairs them: hypotheses in order of first
 * appearance of their id (only the first hypothesis of an id is scored), an id `seg:rank` looks up the references
 * of `seg`, and every hypothesis id must have references.
 */
export function corpusTerFromTrans(hypText: string, refText: string, options?: TerOptions): TerResult {
  const hypGroups = groupTercomTrans(parseTercomTrans(hypText, { source: 'hypothesis trans text' }));
  const refGroups = groupTercomTrans(parseTercomTrans(refText, { source: 'reference trans text' }));
  const hyps: string[] = [];
  const refs: string[][] = [];
  let k = 0;
  for (const [id, texts] of hypGroups) {
    const m = ID_WITH_RANK.exec(id);
    const segId = m === null ? id : m[1]!;
    const segRefs = refGroups.get(segId);
    if (segRefs === undefined) throw new TerInputError(k, `no reference for segment id '${segId}'`);
    hyps.push(texts[0]!);
    refs.push(segRefs);
    k++;
  }
  return scoreCorpus(hyps, refs, options, true);
}
