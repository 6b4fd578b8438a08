// Python Unidecode 1.3.6 behaviour (the `unidecode()` the official WebNLG evaluation.py calls), built on the npm
// `unidecode` package (the Perl Text::Unidecode tables Python's package also descends from).
//
// Verified here against Python Unidecode 1.3.6 for every code point of U+0080..U+052F (Latin-1, Latin Extended,
// IPA, spacing modifiers, Greek, Cyrillic), U+1E00..U+1EFF (Latin Extended Additional), U+2000..U+206F (General
// Punctuation) and U+20A0..U+20CF (currency), and for all 37 non-ASCII characters of the WebNLG 2017 XML files:
// identical output. Outside those blocks the npm tables can differ (about 1,500 of 194,000 code points, mostly
// enclosed alphanumerics, letterlike symbols and Unicode additions after the Perl tables); astral characters
// (U+10000 and up) map to '' here, while Python maps some (e.g. mathematical alphanumerics) to letters.

import unidecodeTables from 'unidecode';

/**
 * Code points in the verified blocks where Python Unidecode 1.3.6 differs from the npm tables (after the rules
 * in `fromTables`). Each value was checked against Python.
 */
const PYTHON_UNIDECODE_DIFFERENCES: ReadonlyMap<number, string> = new Map([
  [0x00bc, " 1/4"],
  [0x00bd, " 1/2"],
  [0x00be, " 3/4"],
  [0x02e5, ""],
  [0x02e6, ""],
  [0x02e7, ""],
  [0x02e8, ""],
  [0x02e9, ""],
  [0x02ea, ""],
  [0x02eb, ""],
  [0x02ef, ""],
  [0x02f0, ""],
  [0x02f1, ""],
  [0x02f2, ""],
  [0x02f3, ""],
  [0x02f4, ""],
  [0x02f5, ""],
  [0x02f6, ""],
  [0x02f7, ""],
  [0x02f8, ""],
  [0x02f9, ""],
  [0x02fa, ""],
  [0x02fb, ""],
  [0x02fc, ""],
  [0x02fd, ""],
  [0x02fe, ""],
  [0x02ff, ""],
  [0x03f4, ""],
  [0x03f5, ""],
  [0x03f6, ""],
  [0x03f7, ""],
  [0x03f8, ""],
  [0x03f9, ""],
  [0x03fc, ""],
  [0x03fd, ""],
  [0x03fe, ""],
  [0x03ff, ""],
  [0x0404, "Ie"],
  [0x042a, "'"],
  [0x044a, "'"],
  [0x1e9b, "S"],
  [0x1e9c, ""],
  [0x1e9d, ""],
  [0x1e9f, ""],
  [0x1efa, ""],
  [0x1efb, ""],
  [0x1efc, ""],
  [0x1efd, ""],
  [0x1efe, ""],
  [0x1eff, ""],
  [0x2028, "\n"],
  [0x2029, "\n\n"],
  [0x2047, "??"],
  [0x204a, "&"],
  [0x204e, "*"],
  [0x2052, "%"],
  [0x2053, "~"],
  [0x2057, "''''"],
  [0x205f, " "],
  [0x20b0, "Pf"],
  [0x20b1, "P"],
  [0x20b2, "G"],
  [0x20b3, "A"],
  [0x20b4, "UAH"],
  [0x20b5, "C|"],
  [0x20b6, "L"],
  [0x20b7, "Sm"],
  [0x20b8, "T"],
  [0x20b9, "Rs"],
  [0x20ba, "L"],
  [0x20bb, "M"],
  [0x20bc, "m"],
  [0x20bd, "R"],
  [0x20be, "l"],
  [0x20bf, "BTC"],
]);

const cache = new Map<string, string>();

/** The npm tables with three systematic repairs: '[?]' marks "no mapping" (Python: ''), a few entries carry a
 * stray escaping backslash ('\\@' for '@'), and the C1 controls U+0080..U+009F map to '' in Python. */
function fromTables(char: string): string {
  const mapped = unidecodeTables(char);
  if (mapped === '[?]' || mapped === '[?] ') return '';
  return mapped.replace(/\\(.)/g, '$1');
}

function transliterateChar(char: string): string {
  const codePoint = char.codePointAt(0)!;
  const override = PYTHON_UNIDECODE_DIFFERENCES.get(codePoint);
  if (override !== undefined) return override;
  if (codePoint <= 0x9f || codePoint > 0xffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return '';
  return fromTables(char);
}

/** Python's `unidecode(s)`: ASCII passes through, every other code point is transliterated on its own. */
export function unidecode(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = '';
  for (const char of s) {
    if (char.charCodeAt(0) < 0x80) {
      out += char;
      continue;
    }
    let mapped = cache.get(char);
    if (mapped === undefined) {
      mapped = transliterateChar(char);
      cache.set(char, mapped);
    }
    out += mapped;
  }
  return out;
}
