/**
 * METEOR 1.5's `-norm` preprocessing for English: its Moses-derived tokenizer (punctuation split off, commas split
 * except inside numbers, quotes and dashes unified, "U.S." -> "US", English contractions split to the right, dots
 * split unless a nonbreaking prefix) followed by lower-casing. Every regular expression mirrors one of the jar's,
 * including Java's ASCII-only \s, \p{Digit} and \p{Lower}.
 */
import { javaTokenize, javaTrim } from './javaString.js';
import { ENGLISH_NONBREAKING_PREFIXES } from './languageData.js';

// Letters the tokenizer treats as word characters: Latin-1 / Latin Extended-A letters, Cyrillic (+ supplement and
// extended-B), and the phonetic extensions block.
const ALPHA = 'A-Za-z\u0160\u017D\u0161\u017E\u0178\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u017E'
  + '\u0400-\u04FF\u0500-\u0527\uA640-\uA66E\uA67E-\uA697\u1D00-\u1D7F';
const ALNUM = `0-9${ALPHA}`;
// Java's \s: [ \t\n\x0B\f\r].
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';

const SEPARATE_OTHER = new RegExp(`([^${ALNUM}${JAVA_SPACE}.'\`,\\-\u2018\u2019])`, 'gu');
const MULTI_DOT = /\.(\.+)/gu;
const MULTI_DOT_NEXT = /DOTMULTI\.([^.])/gu;
const COMMA_NON_DIGITS = /([^0-9]),([^0-9])/gu;
const COMMA_DIGIT_BEFORE = /([0-9]),([^0-9])/gu;
const COMMA_DIGIT_AFTER = /([^0-9]),([0-9])/gu;
const SINGLE_QUOTES = /[`\u2018\u2019]/gu;
const DOUBLE_QUOTES = /([\u201C\u201D]|'')/gu;
const DASH_BETWEEN_WORDS = new RegExp(`([${ALNUM}.])-([${ALNUM}])`, 'gu');
const APOS_NEITHER = new RegExp(`([^${ALPHA}])'([^${ALPHA}])`, 'gu');
const APOS_LETTER_AFTER = new RegExp(`([^${ALPHA}0-9])'([${ALPHA}])`, 'gu');
const APOS_LETTER_BEFORE = new RegExp(`([${ALPHA}])'([^${ALPHA}])`, 'gu');
const APOS_BETWEEN_LETTERS = new RegExp(`([${ALPHA}])'([${ALPHA}])`, 'gu');
const APOS_DECADE = /([0-9])'(s)/gu;
const HAS_ALPHA = new RegExp(`[${ALPHA}]`, 'u');
const STARTS_LOWER = /^[a-z]/;
const STARTS_DIGIT = /^[0-9]/;
// ' ' plus the Unicode spaces U+2000..U+200A, U+202F, U+205F, U+3000 and U+00A0.
const WHITESPACE_RUN = /[ \u2000-\u200A\u202F\u205F\u3000\u00A0]+/gu;

/** Split the dot off each token unless it belongs to an abbreviation (mirrors the jar's nonbreaking-prefix pass). */
function splitSentenceDots(words: string[]): string {
  let out = '';
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.length > 1 && word.endsWith('.')) {
      const prefix = word.slice(0, -1);
      const kind = ENGLISH_NONBREAKING_PREFIXES.get(prefix);
      const next = i < words.length - 1 ? words[i + 1]! : undefined;
      if (prefix.includes('.') && HAS_ALPHA.test(prefix)) {
        out += word.replaceAll('.', ''); // "U.S." -> "US"
      } else if (kind === 'any' || (next !== undefined && STARTS_LOWER.test(next))) {
        out += word;
      } else if (kind === 'numeric-only' && next !== undefined && STARTS_DIGIT.test(next)) {
        out += word;
      } else {
        out += `${prefix} .`;
      }
    } else {
      out += word;
    }
    out += ' ';
  }
  return out;
}

/** METEOR's Normalizer.normalizeLine(line, English, keepPunctuation = true), before lower-casing. */
export function tokenizeEnglishLine(line: string): string {
  let text = ` ${line} `;
  text = text.replace(SEPARATE_OTHER, ' $1 ');
  text = text.replace(MULTI_DOT, ' DOTMULTI$1');
  while (text.includes('DOTMULTI.')) {
    text = text.replace(MULTI_DOT_NEXT, 'DOTDOTMULTI $1');
    text = text.replaceAll('DOTMULTI.', 'DOTDOTMULTI');
  }
  text = text.replace(COMMA_NON_DIGITS, '$1 , $2');
  text = text.replace(COMMA_DIGIT_BEFORE, '$1 , $2');
  text = text.replace(COMMA_DIGIT_AFTER, '$1 , $2');
  text = text.replace(SINGLE_QUOTES, "'");
  text = text.replace(DOUBLE_QUOTES, ' " ');
  text = text.replaceAll('\u2013', '-');
  text = text.replaceAll('--', '-');
  text = text.replace(DASH_BETWEEN_WORDS, '$1 $2');
  text = text.replace(APOS_NEITHER, "$1 ' $2");
  text = text.replace(APOS_LETTER_AFTER, "$1 ' $2");
  text = text.replace(APOS_LETTER_BEFORE, "$1 ' $2");
  text = text.replace(APOS_BETWEEN_LETTERS, "$1 '$2");
  text = text.replace(APOS_DECADE, "$1 '$2");
  text = splitSentenceDots(javaTokenize(text));
  while (text.includes('DOTDOTMULTI')) text = text.replaceAll('DOTDOTMULTI', 'DOTMULTI.');
  text = text.replaceAll('DOTMULTI', '.');
  return javaTrim(text.replace(WHITESPACE_RUN, ' '));
}

/** What `-norm` does to one hypothesis or reference line: tokenize, then lower-case. */
export function normalizeMeteorLine(line: string): string {
  return tokenizeEnglishLine(line).toLowerCase();
}

/** Words of a prepared line as the aligner sees them (whitespace split, as java.util.StringTokenizer). */
export function meteorWords(line: string, normalize: boolean): string[] {
  return javaTokenize(normalize ? normalizeMeteorLine(line) : line);
}
