// The reference files evaluation.py writes to references/ for one split, byte for byte:
//   gold-<tag>-reference<j>.lex         j-th reference of each entry or a blank line (one file per j < max refs)
//   gold-<tag>-reference-3ref.meteor    3 lines per entry: its first 3 references, blank-padded
//   gold-<tag>-reference-3ref.ter       "<ref> (id<k>)" for the first 3 references of the k-th entry
//   gold-<tag>-reference-3ref-space.ter the same as 3 blank-padded lines per entry

import type { WebnlgEntry } from './benchmark.js';
import { preprocessWebnlgReference } from './preprocess.js';
import { WEBNLG_SPLIT_FILE_TAG, type WebnlgSplitName, entriesByNaturalId, splitEntries } from './splits.js';

/** Up to three references per entry, as the 3-reference scorers see them. */
const MAX_SCORED_REFS = 3;

/** Preprocessed references per entry, in the order of the .lex / .meteor files. */
export function naturalOrderReferences(entries: readonly WebnlgEntry[]): string[][] {
  return entriesByNaturalId(entries).map((entry) => entry.lexs.map(preprocessWebnlgReference));
}

function lexFiles(refs: readonly string[][]): string[] {
  const maxRefs = Math.max(...refs.map((r) => r.length));
  return Array.from({ length: maxRefs }, (_, j) => refs.map((r) => `${r[j] ?? ''}\n`).join(''));
}

function paddedThreeRefLines(refs: readonly string[][], suffix: (k: number) => string): string {
  return refs
    .map((r, k) => {
      const kept = r.slice(0, MAX_SCORED_REFS).map((line) => line + suffix(k + 1));
      return `${kept.join('\n')}\n${'\n'.repeat(Math.max(0, MAX_SCORED_REFS - r.length))}`;
    })
    .join('');
}

/** File name -> content for one split, exactly as evaluation.py writes them. */
export function webnlgReferenceFiles(entries: readonly WebnlgEntry[], split: WebnlgSplitName): Map<string, string> {
  const tag = WEBNLG_SPLIT_FILE_TAG[split];
  const splitList = splitEntries(entries, split);
  const natural = naturalOrderReferences(splitList);
  const files = new Map<string, string>();
  lexFiles(natural).forEach((content, j) => files.set(`gold-${tag}-reference${j}.lex`, content));
  files.set(`gold-${tag}-reference-3ref.meteor`, paddedThreeRefLines(natural, () => ''));
  const documentOrder = splitList.map((entry) => entry.lexs.slice(0, MAX_SCORED_REFS).map(preprocessWebnlgReference));
  files.set(
    `gold-${tag}-reference-3ref.ter`,
    documentOrder.map((refs, k) => refs.map((ref) => `${ref} (id${k + 1})\n`).join('')).join(''),
  );
  files.set(`gold-${tag}-reference-3ref-space.ter`, paddedThreeRefLines(natural, (k) => ` (id${k})`));
  return files;
}
