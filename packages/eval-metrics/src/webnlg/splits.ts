// The three evaluation splits of the official WebNLG 2017 scorer and the entry order each of its files uses.

import { type WebnlgEntry, WEBNLG_SEEN_CATEGORIES, WEBNLG_UNSEEN_CATEGORIES } from './benchmark.js';

export type WebnlgSplitName = 'all' | 'seen' | 'unseen';

/** The split names in the official file names: all-cat, old-cat (seen), new-cat (unseen). */
export const WEBNLG_SPLIT_FILE_TAG: Readonly<Record<WebnlgSplitName, string>> = {
  all: 'all-cat',
  seen: 'old-cat',
  unseen: 'new-cat',
};

export const WEBNLG_SPLITS: readonly WebnlgSplitName[] = ['seen', 'unseen', 'all'];

/** Benchmark.filter([], categories): the entries of those categories, document order kept. */
export function splitEntries(entries: readonly WebnlgEntry[], split: WebnlgSplitName): WebnlgEntry[] {
  if (split === 'all') return [...entries];
  const categories = split === 'seen' ? WEBNLG_SEEN_CATEGORIES : WEBNLG_UNSEEN_CATEGORIES;
  return entries.filter((entry) => categories.includes(entry.category));
}

function naturalChunks(s: string): (string | number)[] {
  return s.split(/(\d+)/).map((chunk, i) => (i % 2 === 1 ? Number(chunk) : chunk));
}

/** natsort's natsorted for ids like "Id10": digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  const x = naturalChunks(a);
  const y = naturalChunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p - q;
    return String(p) < String(q) ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * The reference-file order of evaluation.py: a dict id -> lexs (a repeated id keeps its first position and its
 * last lexs), keys in natural order.
 */
export function entriesByNaturalId(entries: readonly WebnlgEntry[]): WebnlgEntry[] {
  const byId = new Map<string, WebnlgEntry>();
  for (const entry of entries) byId.set(entry.id, entry);
  return [...byId.keys()].sort(naturalCompare).map((id) => byId.get(id)!);
}
