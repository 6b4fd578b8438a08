import { DataFormatError } from '../errors.js';

/** One WebNLG triple, raw strings as in the files (`Jacob_Bundsgaard`, `leaderName`). */
export interface Triple {
  readonly subject: string;
  readonly property: string;
  readonly object: string;
}

/** One training example: a triple set with one of its "good" lexicalisations (spec §7.2). */
export interface WebnlgExample {
  readonly triples: readonly Triple[];
  readonly target: string;
  /** 0-based index of the entry in its file; consecutive examples of one entry share it. */
  readonly entryIndex: number;
  readonly category: string;
}

/** One entry with all its good references, for decoding and scoring (one hypothesis per entry). */
export interface WebnlgEntry {
  readonly triples: readonly Triple[];
  readonly references: readonly string[];
  readonly category: string;
  readonly entryIndex: number;
}

/** Groups examples back into entries (in file order). */
export function groupEntries(examples: readonly WebnlgExample[]): WebnlgEntry[] {
  const out: WebnlgEntry[] = [];
  for (const ex of examples) {
    const last = out[out.length - 1];
    if (last && last.entryIndex === ex.entryIndex) (last.references as string[]).push(ex.target);
    else out.push({ triples: ex.triples, references: [ex.target], category: ex.category, entryIndex: ex.entryIndex });
  }
  return out;
}

/**
 * The longest text one record may hold (a lexicalisation, a triple's subject, property or object), in characters.
 * WebNLG's longest lexicalisation is under 1,000; a longer text is a broken file, refused at once with its place.
 */
export const MAX_RECORD_CHARS = 65_536;

/** Throws a {@link DataFormatError} naming `file`, `line` (0: unknown) and `where` when `text` is over {@link MAX_RECORD_CHARS}. */
export function checkRecordSize(text: string, file: string, line: number | (() => number), where: string): void {
  if (text.length <= MAX_RECORD_CHARS) return;
  throw new DataFormatError(file, typeof line === 'number' ? line : line(), `${where} is ${text.length} characters, above the limit of ${MAX_RECORD_CHARS} for one record`);
}
