// sacreBLEU's default tokenizer '13a' (the mteval-v13a.pl tokenization used by WMT), re-implemented.

import { pyCollapseWhitespace } from './python-text.js';

/** Punctuation and symbols that always become separate tokens: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ / */
const SYMBOL = /([{-~\x5B-\x60\x20-&(-+:-@/])/gu;
/** Period or comma not preceded by a digit. */
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
/** Period or comma not followed by a digit. */
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
/** Dash preceded by a digit. */
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

export function tokenize13a(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    text = text.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  text = ` ${text} `;
  text = text.replace(SYMBOL, ' $1 ');
  text = text.replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ');
  text = text.replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2');
  text = text.replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return pyCollapseWhitespace(text);
}
