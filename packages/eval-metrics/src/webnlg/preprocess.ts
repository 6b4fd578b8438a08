// The text normalisation of the official WebNLG 2017 evaluation.py, for references and for hypotheses.
// The two orders differ and both matter:
//   reference:  split non-word chars -> collapse whitespace -> lower -> unidecode
//   hypothesis: strip -> unidecode -> lower -> unidecode -> split non-word chars -> collapse whitespace
// "split non-word chars" is `' '.join(re.split('(\W)', s))`: every char that is not a Python \w (Unicode letters,
// numbers, '_') gets a space on each side.

import { PY_WORD_CLASS, pyCollapseWhitespace, pyLower, pyStrip } from '../bleu/python-text.js';
import { unidecode } from './unidecode.js';

const NON_WORD_CHAR = new RegExp(`[^${PY_WORD_CLASS}]`, 'gu');

/** `' '.join(re.split('(\W)', s))`. */
export function spaceNonWordChars(s: string): string {
  return s.replace(NON_WORD_CHAR, ' $& ');
}

const referenceCache = new Map<string, string>();

/** One reference line of the official .lex / .meteor / .ter files (without the TER id suffix). */
export function preprocessWebnlgReference(lex: string): string {
  let line = referenceCache.get(lex);
  if (line === undefined) {
    line = unidecode(pyLower(pyCollapseWhitespace(spaceNonWordChars(lex))));
    if (referenceCache.size > 100_000) referenceCache.clear(); // bound the memory of a long-lived process
    referenceCache.set(lex, line);
  }
  return line;
}

/** One hypothesis line as evaluation.py writes it to teams/<team>_<split>.txt. */
export function preprocessWebnlgHypothesis(line: string): string {
  const ascii = unidecode(pyStrip(line));
  return pyCollapseWhitespace(spaceNonWordChars(unidecode(pyLower(ascii))));
}
