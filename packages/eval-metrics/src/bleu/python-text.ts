// Python 3 `str` semantics that the official scorers rely on, written out for JavaScript strings.
// Python's whitespace (str.split / str.strip) is a fixed set that differs from JS `\s`: it includes the
// separators U+001C..U+001F and U+0085, and excludes U+FEFF.

/** The characters for which Python's `str.isspace()` is true (Unicode 14, as in CPython 3.11). */
const PY_WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const PY_WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`, 'u');
const PY_LEADING_WHITESPACE = new RegExp(`^[${PY_WHITESPACE_CLASS}]+`, 'u');
const PY_TRAILING_WHITESPACE = new RegExp(`[${PY_WHITESPACE_CLASS}]+$`, 'u');

/** Python's `s.split()` (no argument): split on whitespace runs, dropping empty pieces. */
export function pySplit(s: string): string[] {
  return s.split(PY_WHITESPACE_RUN).filter((piece) => piece.length > 0);
}

/** Python's `' '.join(s.split())`: collapse whitespace runs to one space and trim. */
export function pyCollapseWhitespace(s: string): string {
  return pySplit(s).join(' ');
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(PY_TRAILING_WHITESPACE, '');
}

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  return pyRstrip(s).replace(PY_LEADING_WHITESPACE, '');
}

/**
 * A character class body for Python's `\w` on `str` patterns: `str.isalnum()` or `_`, i.e. letters (L*) and
 * numbers (N*). Checked against CPython 3.11 for every code point: the sets agree on all characters assigned in
 * Unicode 14 (Node's newer Unicode tables only add characters Python 3.11 does not know).
 */
export const PY_WORD_CLASS = '\\p{L}\\p{N}_';

/** Python's `s.lower()`; JS applies the same full Unicode lowercase mapping (incl. final sigma). */
export function pyLower(s: string): string {
  return s.toLowerCase();
}
