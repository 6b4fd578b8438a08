/**
 * Hugging Face's `clean_up_tokenization` (transformers 4.10, applied by `decode` by default): removes the space that
 * English tokenisation leaves before punctuation and contractions. Applied in this order, every occurrence.
 */
const CLEAN_UP_RULES: readonly (readonly [string, string])[] = [
  [' .', '.'],
  [' ?', '?'],
  [' !', '!'],
  [' ,', ','],
  [" ' ", "'"],
  [" n't", "n't"],
  [" 'm", "'m"],
  [" 's", "'s"],
  [" 've", "'ve"],
  [" 're", "'re"],
];

export function cleanUpTokenizationSpaces(text: string): string {
  return CLEAN_UP_RULES.reduce((out, [from, to]) => out.replaceAll(from, to), text);
}

/** Python's `str.isspace()` characters: slow HF tokenizers return no token for a text made only of these. */
const PYTHON_WHITESPACE_ONLY = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/u;

export function isPythonWhitespaceOnly(text: string): boolean {
  return PYTHON_WHITESPACE_ONLY.test(text);
}
