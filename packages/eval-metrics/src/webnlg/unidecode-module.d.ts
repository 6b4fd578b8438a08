declare module 'unidecode' {
  /** ASCII transliteration (Perl Text::Unidecode tables); `sub` replaces characters without a mapping. */
  function unidecode(input: string, sub?: string): string;
  export default unidecode;
}
