/**
 * Text handling of tercom 0.7.25 before scoring: case folding, the optional mteval-v11 style normalisation (-N),
 * the optional punctuation removal (-P) and the whitespace split.
 *
 * tercom runs on the JVM, so "whitespace" is Java's `\s` = [ \t\n\x0B\f\r] (narrower than JavaScript's `\s`),
 * `String.trim()` strips every char <= U+0020, and `String.split` keeps a leading empty token when the text starts
 * with whitespace but drops trailing empty tokens. These rules are reproduced here because they decide token counts
 * (and so the reference length) in edge cases.
 */

/** Java's `\s` class, as a character-class body. */
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';
const JAVA_SPACE_RUN = new RegExp(`[${JAVA_SPACE}]+`, 'g');
const JAVA_SPACE_RUN_TEST = new RegExp(`[${JAVA_SPACE}]+`);
const LEADING_JAVA_SPACE = new RegExp(`^[${JAVA_SPACE}]+`);
const TRAILING_JAVA_SPACE = new RegExp(`[${JAVA_SPACE}]+$`);

/** Options of tercom's text handling, named after what they do to the text. */
export interface TerTextOptions {
  /** Fold case before comparing words (tercom default; `false` = tercom `-s`). Default true. */
  lowercase?: boolean;
  /** Apply tercom's mteval-v11 style tokenisation/normalisation (tercom `-N`). Default false. */
  normalize?: boolean;
  /** Keep punctuation (tercom default); `false` removes `. , ? : ; ! " ( )` as tercom `-P` does. Default true. */
  punctuation?: boolean;
}

export interface ResolvedTerTextOptions {
  lowercase: boolean;
  normalize: boolean;
  punctuation: boolean;
}

export function resolveTextOptions(options: TerTextOptions | undefined): ResolvedTerTextOptions {
  return {
    lowercase: options?.lowercase ?? true,
    normalize: options?.normalize ?? false,
    punctuation: options?.punctuation ?? true,
  };
}

/** Java `String.trim()`: strips every char with code <= U+0020 from both ends. */
export function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

/** Java `s.split("\\s+")`: no match gives `[s]`; a leading empty token is kept, trailing empty tokens are dropped. */
export function javaSplitOnSpace(s: string): string[] {
  if (!JAVA_SPACE_RUN_TEST.test(s)) return [s];
  const parts = s.split(JAVA_SPACE_RUN);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** tercom's `-N` normalisation (the mteval-v11 rules it implements), applied before the split. */
function normalizeMteval(text: string): string {
  let s = text;
  s = s.replaceAll('<skipped>', '');
  s = s.replaceAll('-\n', '');
  s = s.replaceAll('\n', ' ');
  s = s.replaceAll('&quot;', '"');
  s = s.replaceAll('&amp;', '&');
  s = s.replaceAll('&lt;', '<');
  s = s.replaceAll('&gt;', '>');
  s = ` ${s} `;
  // Punctuation ranges { | } ~, [ \ ] ^ _ `, space ! " # $ % &, ( ) * +, : ; < = > ? @, and / get spaces around.
  s = s.replace(/([{-~[-`\x20-&(-+:-@/])/g, ' $1 ');
  s = s.replaceAll("'s ", " 's ");
  s = s.replace(/'s$/, " 's");
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 '); // period/comma not preceded by a digit
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2'); // period/comma not followed by a digit
  s = s.replace(/([0-9])(-)/g, '$1 $2 '); // dash preceded by a digit
  s = s.replace(JAVA_SPACE_RUN, ' ');
  s = s.replace(LEADING_JAVA_SPACE, '');
  s = s.replace(TRAILING_JAVA_SPACE, '');
  return s;
}

/** tercom's `-P`: drop `. , ? : ; ! " ( )` and squeeze whitespace runs (without trimming). */
function removePunctuation(text: string): string {
  return text.replace(/[.,?:;!"()]/g, '').replace(JAVA_SPACE_RUN, ' ');
}

/** Case folding as tercom does it on the whole segment string (before the emptiness test and tokenisation). */
export function foldCase(text: string, options: ResolvedTerTextOptions): string {
  return options.lowercase ? text.toLowerCase() : text;
}

/** tercom's `tokenize`: optional normalisation, optional punctuation removal, Java whitespace split. */
export function tercomTokenize(text: string, options: ResolvedTerTextOptions): string[] {
  let s = text;
  if (options.normalize) s = normalizeMteval(s);
  if (!options.punctuation) s = removePunctuation(s);
  return javaSplitOnSpace(s);
}
