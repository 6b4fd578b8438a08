/**
 * The few java.lang.String / java.util.StringTokenizer behaviours METEOR 1.5 depends on, reproduced exactly so that
 * tokens, equality tests and trimming agree with the Java scorer bit for bit.
 */

/** java.lang.String#hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit two's complement. */
export function javaHashCode(word: string): number {
  let hash = 0;
  for (let i = 0; i < word.length; i++) hash = (Math.imul(31, hash) + word.charCodeAt(i)) | 0;
  return hash;
}

/** new StringTokenizer(line) with its default delimiters " \t\n\r\f" (note: not \v, not Unicode spaces). */
export function javaTokenize(line: string): string[] {
  return line.split(/[ \t\n\r\f]+/).filter((token) => token.length > 0);
}

/** java.lang.String#trim: strips every code unit <= U+0020 from both ends (JS trim strips Unicode spaces instead). */
export function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}
