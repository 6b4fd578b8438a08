import { NLG_SPECIAL_TOKENS, type TextTokenizer } from '../src/index.js';

/** A test tokenizer: one id per character (its code point), the 16 NLG special tokens at 50257…50272. */
export const charTokenizer: TextTokenizer & { decode(ids: number[]): string } = {
  encode: (s) => [...s].map((c) => c.codePointAt(0)! + 1000),
  tokenToId: (t) => {
    const i = (NLG_SPECIAL_TOKENS as readonly string[]).indexOf(t);
    return i >= 0 ? 50257 + i : undefined;
  },
  decode: (ids) => ids.filter((i) => i >= 1000 && i < 50257).map((i) => String.fromCodePoint(i - 1000)).join(''),
};
export const ID = {
  pad: 50257, bos_qa: 50258, eos_qa: 50259, question: 50260, answer: 50261, document: 50262,
  bos_webnlg: 50267, eos_webnlg: 50268, subject: 50269, property: 50270, object: 50271, target_webnlg: 50272,
} as const;
export const c = (s: string): number[] => charTokenizer.encode(s);

/** The same characters with RoBERTa's special ids (<s> 0, <pad> 1, </s> 2). */
export const robertaCharTokenizer: TextTokenizer = {
  encode: charTokenizer.encode,
  tokenToId: (t) => ({ '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 } as Record<string, number>)[t],
};
