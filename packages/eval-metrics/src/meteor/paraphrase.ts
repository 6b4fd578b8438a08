/**
 * The paraphrase module's table. METEOR 1.5 reads data/paraphrase-<lang>.gz: a gzipped text of records of three
 * lines each (a probability that METEOR ignores, a reference phrase, its paraphrase). Phrases are stored in a trie
 * keyed by the reference phrase's words; each node lists the paraphrases whose reference phrase ends there, in file
 * order. The table is not bundled with this package (the official one is ~ 2 GB of memory in Java): load one with
 * `loadParaphraseTable` / `parseParaphraseTable` and pass it to `corpusMeteor` to enable the module.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { MeteorResourceError } from './errors.js';
import { javaTokenize } from './javaString.js';

/** A trie node: continuations by next word, and the paraphrase indices whose reference phrase ends here. */
export interface ParaphraseNode {
  readonly next: Map<string, ParaphraseNode>;
  readonly emit: number[];
}

export interface ParaphraseTable {
  /** trie of reference phrases */
  readonly root: ParaphraseNode;
  /** paraphrases[k]: the words of the k-th record's paraphrase */
  readonly paraphrases: readonly (readonly string[])[];
}

function newNode(): ParaphraseNode {
  return { next: new Map(), emit: [] };
}

/** An empty table; add records with `addParaphrase`. */
export function emptyParaphraseTable(): ParaphraseTable {
  return { root: newNode(), paraphrases: [] };
}

/** Add one record (reference phrase words -> paraphrase words), appended after the existing ones. */
export function addParaphrase(table: ParaphraseTable, reference: readonly string[], paraphrase: readonly string[]): void {
  let node = table.root;
  for (const word of reference) {
    let child = node.next.get(word);
    if (child === undefined) {
      child = newNode();
      node.next.set(word, child);
    }
    node = child;
  }
  node.emit.push(table.paraphrases.length);
  (table.paraphrases as (readonly string[])[]).push(paraphrase);
}

/** Parse the text of a paraphrase-<lang> file (already gunzipped). */
export function parseParaphraseTable(text: string, source = 'paraphrase table'): ParaphraseTable {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length % 3 !== 0) {
    throw new MeteorResourceError(source, `expected records of 3 lines (probability, phrase, paraphrase), got ${lines.length} lines`);
  }
  const table = emptyParaphraseTable();
  for (let i = 0; i < lines.length; i += 3) addParaphrase(table, javaTokenize(lines[i + 1]!), javaTokenize(lines[i + 2]!));
  return table;
}

/** Read a paraphrase file (gzipped when it ends in .gz, as METEOR's own data/paraphrase-en.gz). */
export function loadParaphraseTable(path: string): ParaphraseTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new MeteorResourceError(path, `cannot read paraphrase table: ${String(cause)}`);
  }
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  return parseParaphraseTable(text, path);
}

/**
 * Reference phrases of the table that start at words[start]: [length, paraphraseIndex] pairs, shortest first, file
 * order within a length (METEOR's getReferencePaths).
 */
export function phrasesStartingAt(table: ParaphraseTable, words: readonly string[], start: number): [number, number][] {
  const found: [number, number][] = [];
  let node: ParaphraseNode | undefined = table.root;
  for (let i = 0; start + i < words.length; i++) {
    node = node.next.get(words[start + i]!);
    if (node === undefined) break;
    for (const index of node.emit) found.push([i + 1, index]);
  }
  return found;
}
