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
