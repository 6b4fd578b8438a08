// The WebNLG benchmark entries as the official benchmark_reader.py sees them: every <entry> with at least one
// <lex>, in document order, with its eid, category, size and the text of its lexicalisations.

import { MetricsInputError } from '../bleu/errors.js';
import { elementText, iterElements, parseXml } from './xml.js';

export interface WebnlgEntry {
  /** The eid attribute, e.g. "Id17"; its number is the 1-based hypothesis line of the entry. */
  id: string;
  category: string;
  /** The size attribute (number of triples) as written, e.g. "3". */
  size: string;
  /** The <lex> texts in document order. */
  lexs: string[];
}

/** The 15 categories of the WebNLG 2017 test set, in evaluation.py's order. */
export const WEBNLG_CATEGORIES = [
  'Astronaut',
  'Airport',
  'Monument',
  'University',
  'Food',
  'SportsTeam',
  'City',
  'Building',
  'WrittenWork',
  'ComicsCharacter',
  'Politician',
  'Athlete',
  'MeanOfTransportation',
  'Artist',
  'CelestialBody',
] as const;

/** The 5 categories unseen in training ("new-cat" in the official files). */
export const WEBNLG_UNSEEN_CATEGORIES: readonly string[] = [
  'MeanOfTransportation',
  'CelestialBody',
  'Politician',
  'Athlete',
  'Artist',
];

/** The 10 training categories ("old-cat"). */
export const WEBNLG_SEEN_CATEGORIES: readonly string[] = WEBNLG_CATEGORIES.filter(
  (category) => !WEBNLG_UNSEEN_CATEGORIES.includes(category),
);

export function readWebnlgBenchmark(xmlText: string, file?: string): WebnlgEntry[] {
  const root = parseXml(xmlText, file);
  const entries: WebnlgEntry[] = [];
  for (const entry of iterElements(root, 'entry')) {
    const lexElements = entry.children.filter((child) => typeof child !== 'string' && child.name === 'lex');
    if (lexElements.length === 0) continue; // the reader ignores entries without lexicalisations
    const attribute = (name: string) => {
      const value = entry.attributes[name];
      if (value === undefined) {
        throw new MetricsInputError('INVALID_DATA', `${file ?? 'WebNLG XML'}: an <entry> lacks the ${name} attribute`, {
          file,
        });
      }
      return value;
    };
    const id = attribute('eid');
    const lexs = lexElements.map((lex) => {
      const text = typeof lex === 'string' ? null : elementText(lex);
      if (text === null) {
        throw new MetricsInputError('INVALID_DATA', `${file ?? 'WebNLG XML'}: entry ${id} has an empty <lex>`, { file });
      }
      return text;
    });
    entries.push({ id, category: attribute('category'), size: attribute('size'), lexs });
  }
  return entries;
}

/** The 1-based hypothesis line of an entry: evaluation.py's int(entry.id[2:]). */
export function entryLineNumber(entry: WebnlgEntry, file?: string): number {
  const digits = entry.id.slice(2);
  if (!/^\s*[+-]?\d+\s*$/.test(digits)) {
    throw new MetricsInputError('INVALID_DATA', `${file ?? 'WebNLG XML'}: entry id "${entry.id}" is not Id<number>`, {
      file,
    });
  }
  return Number.parseInt(digits, 10);
}
