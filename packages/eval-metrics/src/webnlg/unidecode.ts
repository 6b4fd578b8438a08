// Python Unidecode 1.3.6 behaviour (the `unidecode()` the official WebNLG evaluation.py calls), built on the npm
// `unidecode` package (the Perl Text::Unidecode tables Python's package also descends from).
//
// Verified against Python Unidecode 1.3.6 for every code point of U+0080..U+052F (Latin-1, Latin Extended, IPA,
// spacing modifiers, Greek, Cyrillic), U+1E00..U+1EFF (Latin Extended Additional), U+2000..U+2BFF (punctuation,
// super/subscripts, currency, letterlike, number forms, arrows, mathematical operators, technical, enclosed
// alphanumerics, box drawing, shapes, symbols, dingbats), U+3000..U+303F (CJK punctuation) and U+FB00..U+FFEF
// (presentation forms, fullwidth forms), and for all 37 non-ASCII characters of the WebNLG 2017 XML files:
// identical output. Elsewhere in the BMP the npm tables differ for 261 of 63,000 code points (mostly Unicode
// additions after the Perl tables, which give '' here); astral characters (U+10000 and up) give '' here, while
// Python maps some of them (e.g. mathematical alphanumerics) to letters.

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
  [0x2071, "i"],
  [0x2090, "a"],
  [0x2091, "e"],
  [0x2092, "o"],
  [0x2093, "x"],
  [0x2095, "h"],
  [0x2096, "k"],
  [0x2097, "l"],
  [0x2098, "m"],
  [0x2099, "n"],
  [0x209a, "p"],
  [0x209b, "s"],
  [0x209c, "t"],
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
  [0x2100, " a/c "],
  [0x2101, " a/s "],
  [0x2102, "C"],
  [0x2105, " c/o "],
  [0x2106, " c/u "],
  [0x210a, "g"],
  [0x210b, "H"],
  [0x210c, "H"],
  [0x210d, "H"],
  [0x210e, "h"],
  [0x2110, "I"],
  [0x2111, "I"],
  [0x2112, "L"],
  [0x2113, "l"],
  [0x2115, "N"],
  [0x2116, "No. "],
  [0x2117, "(p)"],
  [0x2119, "P"],
  [0x211a, "Q"],
  [0x211b, "R"],
  [0x211c, "R"],
  [0x211d, "R"],
  [0x2120, "(sm)"],
  [0x2121, "TEL"],
  [0x2122, "(tm)"],
  [0x2124, "Z"],
  [0x2126, "ohm"],
  [0x2128, "Z"],
  [0x212a, "K"],
  [0x212b, "A"],
  [0x212c, "B"],
  [0x212d, "C"],
  [0x212e, "e"],
  [0x212f, "e"],
  [0x2130, "E"],
  [0x2131, "F"],
  [0x2132, "F"],
  [0x2133, "M"],
  [0x2134, "o"],
  [0x2139, "i"],
  [0x213b, "FAX"],
  [0x2145, "D"],
  [0x2146, "d"],
  [0x2147, "e"],
  [0x2148, "i"],
  [0x2149, "j"],
  [0x214e, "F"],
  [0x2150, " 1/7 "],
  [0x2151, " 1/9 "],
  [0x2152, " 1/10 "],
  [0x2189, " 0/3 "],
  [0x2212, "-"],
  [0x2215, "/"],
  [0x2216, "\\"],
  [0x2217, "*"],
  [0x2223, "|"],
  [0x2236, ":"],
  [0x223c, "~"],
  [0x2264, "<="],
  [0x2265, ">="],
  [0x2266, "<="],
  [0x2267, ">="],
  [0x2303, "^"],
  [0x2329, "<"],
  [0x232a, "> "],
  [0x25f4, "#"],
  [0x25f5, "#"],
  [0x25f6, "#"],
  [0x25f7, "#"],
  [0x25f8, ""],
  [0x25f9, ""],
  [0x25fa, ""],
  [0x25fb, ""],
  [0x25fc, ""],
  [0x25fd, ""],
  [0x25fe, ""],
  [0x25ff, ""],
  [0x266f, "#"],
  [0x2731, "*"],
  [0x2758, "|"],
  [0x275c, "'"],
  [0x275d, "\""],
  [0x275e, "\""],
  [0x275f, ","],
  [0x2760, ",,"],
  [0x2762, "!"],
  [0x27e6, "["],
  [0x27e8, "<"],
  [0x27e9, "> "],
  [0x2983, "{"],
  [0x2984, "} "],
  [0x2a74, "::="],
  [0x2a75, "=="],
  [0x2a76, "==="],
  [0xfb1d, "i"],
  [0xfb1f, "AY"],
  [0xfb21, "A"],
  [0xfb24, "KH"],
  [0xfb27, "r"],
  [0xfb2a, "SH"],
  [0xfb2b, "S"],
  [0xfb2c, "SH"],
  [0xfb2d, "S"],
  [0xfb30, "A"],
  [0xfb3a, "KH"],
  [0xfb3b, "KH"],
  [0xfb3e, "m"],
  [0xfb41, "s"],
  [0xfb46, "TS"],
  [0xfb47, "k"],
  [0xfb49, "SH"],
  [0xfb4b, "o"],
  [0xfb4c, "v"],
  [0xfb4d, "KH"],
  [0xfb4e, "f"],
  [0xfb4f, "EL"],
  [0xfdf0, ""],
  [0xfdf1, ""],
  [0xfdf2, ""],
  [0xfdf3, ""],
  [0xfdf4, ""],
  [0xfdf5, ""],
  [0xfdf6, ""],
  [0xfdf7, ""],
  [0xfdf8, ""],
  [0xfdf9, ""],
  [0xfdfa, ""],
  [0xfdfb, ""],
  [0xfdfc, ""],
  [0xfdfd, ""],

]);

const cache = new Map<string, string>();

/** The npm tables with three systematic repairs: '[?]' marks "no mapping" (Python: ''), a few entries carry a
 * stray escaping backslash ('\\@' for '@'), and the C1 controls U+0080..U+009F map to '' in Python. */
function fromTables(char: string): string {
  const mapped = unidecodeTables(char);
  if (mapped === '[?]' || mapped === '[?] ') return '';
  return mapped.replace(/\\(.)/g, '$1');
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** U+2460..U+24FF (circled / parenthesized / full-stop numbers and letters), which Python maps systematically. */
function enclosedAlphanumeric(codePoint: number): string {
  const i = codePoint - 0x2460;
  if (i < 20) return String(i + 1); // ① .. ⑳
  if (i < 40) return `(${i - 19})`; // ⑴ .. ⒇
  if (i < 60) return `${i - 39}.`; // ⒈ .. ⒛
  if (i < 86) return `(${LOWER[i - 60]})`; // ⒜ .. ⒵
  if (i < 112) return LOWER[i - 86]!.toUpperCase(); // Ⓐ .. Ⓩ
  if (i < 138) return LOWER[i - 112]!; // ⓐ .. ⓩ
  if (i === 138 || i === 159) return '0'; // ⓪ ⓿
  if (i < 149) return String(i - 128); // ⓫ .. ⓴
  return String(i - 148); // ⓵ .. ⓾
}

function transliterateChar(char: string): string {
  const codePoint = char.codePointAt(0)!;
  if (codePoint >= 0x2460 && codePoint <= 0x24ff) return enclosedAlphanumeric(codePoint);
  const override = PYTHON_UNIDECODE_DIFFERENCES.get(codePoint);
  if (override !== undefined) return override;
  if (codePoint <= 0x9f || codePoint > 0xffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return '';
  return fromTables(char);
}

/** Python's `unidecode(s)`: ASCII passes through, every other code point is transliterated on its own. */
export function unidecode(s: string): string {
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
