/**
 * The synonym module's dictionary: WordNet 3.0 synsets, looked up the way METEOR 1.5 does. A word's synsets are the
 * synset offsets of every sense of the word (all parts of speech, the offset alone as the id), united with those of
 * its base form: the WordNet exception lists give irregular bases ("geese" -> "goose"); otherwise the WordNet
 * morphology suffix rules are tried in order and the first candidate that is itself a WordNet lemma wins.
 *
 * Data: synsets from WordNet 3.0's index.noun/.verb/.adj/.adv, shipped gzipped in data/meteor/wordnet-3.0/ (1.8 MB;
 * byte for byte the index files of the npm package `wordnet`, whose 28 MB database is otherwise the data files this
 * module never reads), read at first use; the exception lists from data/meteor/wordnet-3.0-exceptions.txt (WordNet
 * 3.0 *.exc). WORDNET-LICENSE there covers both.
 * Both were checked equal, lemma for lemma and offset for offset, to the synonym files bundled in the jar.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MeteorResourceError } from './errors.js';

/** A word -> synset-id dictionary plus irregular inflection -> base forms, as METEOR's SynonymDictionary. */
export interface SynonymDictionary {
  /** lemma (lower case, '_' for spaces) -> synset offsets over all parts of speech */
  readonly synsets: ReadonlyMap<string, readonly number[]>;
  /** inflected form -> base forms (WordNet exception lists) */
  readonly exceptions: ReadonlyMap<string, readonly string[]>;
}

const INDEX_FILES = ['index.noun', 'index.verb', 'index.adj', 'index.adv'];

/** Parse WordNet index.<pos> text into `into`: lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offsets. */
export function addWordNetIndex(text: string, source: string, into: Map<string, number[]>): void {
  const lines = text.split('\n');
  for (let lineNo = 0; lineNo < lines.length; lineNo++) {
    const line = lines[lineNo]!;
    if (line.length === 0 || line.startsWith(' ')) continue; // licence header lines start with two spaces
    const fields = line.trim().split(/\s+/);
    const synsetCount = Number(fields[2]);
    const pointerCount = Number(fields[3]);
    const offsets = fields.slice(4 + pointerCount + 2);
    if (!Number.isInteger(synsetCount) || offsets.length !== synsetCount) {
      throw new MeteorResourceError(`${source}, line ${lineNo + 1}`, `expected ${fields[2]} synset offsets`);
    }
    const lemma = fields[0]!;
    let list = into.get(lemma);
    if (list === undefined) {
      list = [];
      into.set(lemma, list);
    }
    for (const offset of offsets) {
      const id = Number.parseInt(offset, 10);
      if (!list.includes(id)) list.push(id);
    }
  }
}

/** Parse the exception list: "inflected base1 [base2 ...]" per line, '#' comments. */
export function parseExceptionList(text: string, source: string): Map<string, string[]> {
  const exceptions = new Map<string, string[]>();
  text.split('\n').forEach((line, lineNo) => {
    if (line.length === 0 || line.startsWith('#')) return;
    const [form, ...bases] = line.trim().split(/\s+/);
    if (form === undefined || bases.length === 0) {
      throw new MeteorResourceError(`${source}, line ${lineNo + 1}`, 'expected an inflected form and its base forms');
    }
    exceptions.set(form, bases);
  });
  return exceptions;
}

function thisModuleFile(): string {
  // The CJS build has __filename; the ESM build and the sources have import.meta.url.
  return typeof __filename !== 'undefined' ? __filename : fileURLToPath(import.meta.url);
}

/** data/meteor/<name> of this package, found from src/meteor/ (sources) or dist/ (build). */
function packageDataFile(name: string): string {
  let dir = dirname(thisModuleFile());
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, 'data', 'meteor', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new MeteorResourceError(`data/meteor/${name}`, 'not found beside the @peft/eval-metrics package');
}

/**
 * Build the dictionary from a WordNet 3.0 folder (its index.* files, plain or gzipped as `index.noun.gz`) and an
 * exception-list file.
 */
export function loadSynonymDictionary(wordNetDir: string, exceptionFile: string): SynonymDictionary {
  const synsets = new Map<string, number[]>();
  for (const name of INDEX_FILES) {
    const plain = join(wordNetDir, name);
    const gzipped = `${plain}.gz`;
    if (existsSync(plain)) addWordNetIndex(readFileSync(plain, 'latin1'), plain, synsets);
    else if (existsSync(gzipped)) addWordNetIndex(gunzipSync(readFileSync(gzipped)).toString('latin1'), gzipped, synsets);
    else throw new MeteorResourceError(plain, 'WordNet index file missing');
  }
  if (!existsSync(exceptionFile)) throw new MeteorResourceError(exceptionFile, 'exception list missing');
  const exceptions = parseExceptionList(readFileSync(exceptionFile, 'utf8'), exceptionFile);
  return { synsets, exceptions };
}

let defaultDictionary: SynonymDictionary | undefined;

/** The WordNet 3.0 dictionary METEOR uses, loaded once (about half a second) and shared. */
export function englishSynonyms(): SynonymDictionary {
  defaultDictionary ??= loadSynonymDictionary(packageDataFile('wordnet-3.0'), packageDataFile('wordnet-3.0-exceptions.txt'));
  return defaultDictionary;
}

// WordNet 3.0 morphology: suffix -> replacement, nouns, then verbs, then adjectives (order matters).
const SUFFIXES = ['s', 'ses', 'xes', 'zes', 'ches', 'shes', 'men', 'ies', 's', 'ies', 'es', 'es', 'ed', 'ed', 'ing', 'ing', 'er', 'est', 'er', 'est'];
const ENDINGS = ['', 's', 'x', 'z', 'ch', 'sh', 'man', 'y', '', 'y', 'e', '', 'e', '', 'e', '', '', '', 'e', 'e'];

/** METEOR's morph(): the word itself if it ends in "ss" or has <= 2 chars, else the first suffix rewrite that is a lemma, else "". */
export function morphBaseForm(word: string, dictionary: SynonymDictionary): string {
  if (word.endsWith('ss') || word.length <= 2) return word;
  for (let i = 0; i < SUFFIXES.length; i++) {
    const suffix = SUFFIXES[i]!;
    if (!word.endsWith(suffix)) continue;
    const candidate = word.slice(0, word.length - suffix.length) + ENDINGS[i]!;
    if (dictionary.synsets.has(candidate)) return candidate;
  }
  return '';
}

/** Synset ids of a word and of its base forms (getSynSets(word) united with getStemSynSets(word)). */
export function synonymSetIds(word: string, dictionary: SynonymDictionary): Set<number> {
  const ids = new Set<number>(dictionary.synsets.get(word) ?? []);
  const bases = dictionary.exceptions.get(word);
  for (const base of bases ?? [morphBaseForm(word, dictionary)]) {
    for (const id of dictionary.synsets.get(base) ?? []) ids.add(id);
  }
  return ids;
}
