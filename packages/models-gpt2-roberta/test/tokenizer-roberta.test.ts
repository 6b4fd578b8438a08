// RoBERTa tokenizer: fairseq id layout, the `<s> A </s></s> B </s>` sentence-pair form, HF 'longest_first'
// truncation (tokenizers 0.10.3, KA's pinned version) and padding to max length (spec §7.4).
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TokenizerFileError,
  TokenizerInputError,
  loadGpt2Tokenizer,
  loadRobertaTokenizer,
  truncateLongestFirst,
  type Gpt2Tokenizer,
  type RobertaTokenizer,
} from '../src/tokenizer/index.js';

const FIXTURES = fileURLToPath(new URL('../../../test-fixtures', import.meta.url));

const TEXTS = [
  "it 's a charming and often affecting journey . ",
  'The leader of Aarhus is Jacob Bundsgaard.',
  "Don't, won't: it's Café Zürich's 1234567890 🙂 東京",
  '  runs\n\nof whitespace\t ',
];

describe('RoBERTa tokenizer on the fixture checkpoint', () => {
  let tok: RobertaTokenizer;
  let gpt2: Gpt2Tokenizer;
  beforeAll(async () => {
    tok = await loadRobertaTokenizer(`${FIXTURES}/tiny-roberta`);
    gpt2 = await loadGpt2Tokenizer(`${FIXTURES}/tiny-gpt2`);
  });

  it('has the roberta-base layout: <s> <pad> </s> <unk> = 0..3, <mask> last', () => {
    expect(tok.kind).toBe('roberta');
    expect([tok.clsId, tok.padId, tok.sepId, tok.tokenToId('<unk>')]).toEqual([0, 1, 2, 3]);
    expect(tok.vocabSize).toBe(661);
    expect(tok.tokenToId('<mask>')).toBe(660);
    expect(tok.specialIds).toEqual([0, 1, 2, 3, 660]);
  });

  it('splits text into the same BPE tokens as GPT-2 though its ids follow another order', () => {
    for (const text of TEXTS) {
      expect(tok.tokenize(text)).toEqual(gpt2.tokenize(text));
      expect(tok.encode(text).map((id) => tok.idToToken(id))).toEqual(gpt2.encode(text).map((id) => gpt2.idToToken(id)));
    }
    // fairseq order: the ids do not follow the merge ranks ('Ġa' is merge 0, 'Ġi' merge 1), so BPE must use merges.txt.
    expect(tok.tokenToId('Ġa')).toBe(12);
    expect(tok.tokenToId('Ġi')).toBe(117);
    expect(tok.tokenToId('Ġ')).toBe(4);
  });

  it('keeps whitespace-only text (fast tokenizer), unlike GPT-2 (slow tokenizer)', () => {
    expect(tok.tokenize('  ')).toEqual(['ĠĠ']); // a fixture merge of two spaces
    expect(gpt2.encode('  ')).toEqual([]);
  });

  it('matches specials in text: <mask> eats the space on its left, <s> does not', () => {
    expect(tok.encode('a <mask>')).toEqual([19, 660]);
    expect(tok.encode('<mask> b')).toEqual([660, 114]);
    expect(tok.encode('<s> x')).toEqual([0, 4, 526]);
  });

  it('lays out <s> A </s> and <s> A </s></s> B </s>', () => {
    const a = tok.encode('a film');
    const b = tok.encode('the end');
    expect(a).toEqual([19, 59]);
    expect(tok.encodePair('a film')).toEqual([0, 19, 59, 2]);
    expect(tok.encodePair('a film', 'the end')).toEqual([0, ...a, 2, 2, ...b, 2]);
    expect(tok.decode(tok.encodePair('a film', 'the end'), { skipSpecialTokens: true })).toBe('a filmthe end');
    expect(tok.decode(tok.encodePair('a film', 'the end'))).toBe('<s>a film</s></s>the end</s>');
  });

  it('pads to max length with <pad> = 1 and masks the pads', () => {
    const e = tok.encodeForClassification('a a a', undefined, 16);
    expect(e.inputIds).toEqual([0, 19, 12, 12, 2, ...Array(11).fill(1)]);
    expect(e.attentionMask).toEqual([1, 1, 1, 1, 1, ...Array(11).fill(0)]);
    expect(tok.encodeForClassification('a a a', null, 16, false)).toEqual({ inputIds: [0, 19, 12, 12, 2], attentionMask: [1, 1, 1, 1, 1] });
    expect(tok.encodeForClassification('a film').inputIds).toHaveLength(512); // KA pads every input to 512
  });

  it("truncates 'longest_first' as HF tokenizers: both texts to half, the longer (second on a tie) keeps the odd token", () => {
    const tenA = 'a a a a a a a a a a'; // 'a' + 9 × 'Ġa'
    const tenI = 'i i i i i i i i i i'; // 'i' + 9 × 'Ġi'
    expect(tok.encode(tenA)).toHaveLength(10);
    expect(tok.encode(tenI)).toHaveLength(10);
    // 10 + 10 into 19 - 4 = 15: both exceed half, so 7 and 7 + 1 (tie: the second keeps the odd token).
    const tie = tok.encodeForClassification(tenA, tenI, 19);
    expect(tie.inputIds).toEqual([0, 19, ...Array(6).fill(12), 2, 2, 35, ...Array(7).fill(117), 2]);
    expect(tie.attentionMask).toEqual(Array(19).fill(1));
    // 10 + 12 into 15: the longer (here the first) keeps the odd token.
    const longerFirst = tok.encodeForClassification(`${tenA} a a`, tenI, 19).inputIds;
    expect([longerFirst.indexOf(2) - 1, longerFirst.length - longerFirst.indexOf(2) - 3]).toEqual([8, 7]);
    // 10 + 3 into 13 - 4 = 9: the shorter fits, the longer is cut to 9 - 3 = 6.
    expect(tok.encodeForClassification(tenA, 'i i i', 13).inputIds).toEqual([0, 19, 12, 12, 12, 12, 12, 2, 2, 35, 117, 117, 2]);
    // single text: 10 into 6 - 2 = 4.
    expect(tok.encodeForClassification(tenA, undefined, 6).inputIds).toEqual([0, 19, 12, 12, 12, 2]);
    // a max length equal to the special tokens empties both texts (tokenizers does the same).
    expect(tok.encodeForClassification('a', 'b', 4).inputIds).toEqual([0, 2, 2, 2]);
  });

  it('gives the ids that HF tokenizers 0.22.2 (Rust) gives with truncation and padding (golden, odd budget)', () => {
    // 10 + 24 tokens into 21 - 4 = 17: the shorter keeps 8, the longer 9.
    const e = tok.encodeForClassification('The leader of Aarhus is Jacob Bundsgaard.', "it 's a charming and often affecting journey . ", 21);
    expect(e.inputIds).toEqual([0, 23, 81, 9, 18, 298, 7, 210, 360, 2, 2, 101, 40, 15, 12, 27, 311, 17, 25, 26, 2]);
  });

  it('pads a batch to max length, or to its longest row', () => {
    const rows = tok.encodeBatchForClassification([['a a a'], ['a film', 'the end']], 512, false);
    const longest = tok.encodePair('a film', 'the end').length;
    expect(rows.map((r) => r.inputIds.length)).toEqual([longest, longest]);
    expect(rows[0]!.attentionMask).toEqual([1, 1, 1, 1, 1, ...Array(longest - 5).fill(0)]);
    expect(tok.encodeBatchForClassification([['a'], ['b']], 8).every((r) => r.inputIds.length === 8)).toBe(true);
  });

  it('refuses a max length below the special tokens, and a GPT-2 directory', async () => {
    expect(() => tok.encodeForClassification('a', 'b', 3)).toThrow(TokenizerInputError);
    expect(() => tok.encodeForClassification('a', 'b', 3)).toThrow(/maxLength: leaves -1 tokens/);
    expect(() => tok.encodeForClassification('a', undefined, 0)).toThrow(/positive integer/);
    await expect(loadRobertaTokenizer(`${FIXTURES}/tiny-gpt2`)).rejects.toThrow(TokenizerFileError);
    await expect(loadRobertaTokenizer(`${FIXTURES}/tiny-gpt2`)).rejects.toThrow(/gpt2 tokenizer, expected roberta/);
  });

  it('adds special tokens after <mask> without stripping the text around them (fast tokenizer)', async () => {
    const own = await loadRobertaTokenizer(`${FIXTURES}/tiny-roberta`);
    expect(own.addSpecialTokens(['<new>', '<mask>'])).toBe(1);
    expect(own.tokenToId('<new>')).toBe(661);
    expect(own.vocabSize).toBe(662);
    expect(own.encode('a <new> b')).toEqual([19, 4, 661, 114]);
  });
});

describe('truncateLongestFirst', () => {
  const seq = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

  /** Water-filling: the highest cap c with min(n1, c) + min(n2, c) ≤ budget, the token left over to the longer text. */
  function waterFill(n1: number, n2: number, budget: number): [number, number] {
    let c = 0;
    while (Math.min(n1, c + 1) + Math.min(n2, c + 1) <= budget && c < Math.max(n1, n2)) c += 1;
    let k1 = Math.min(n1, c);
    let k2 = Math.min(n2, c);
    if (k1 + k2 < budget && n1 + n2 > budget) {
      if (n1 > n2) k1 += 1;
      else k2 += 1;
    }
    return [k1, k2];
  }

  it('agrees with water-filling on every small case', () => {
    for (let n1 = 0; n1 <= 9; n1 += 1) {
      for (let n2 = 0; n2 <= 9; n2 += 1) {
        for (let budget = 0; budget <= 13; budget += 1) {
          const [k1, k2] = waterFill(n1, n2, budget);
          expect(truncateLongestFirst(seq(n1), seq(n2, 100), budget)).toEqual([seq(k1), seq(k2, 100)]);
        }
        expect(truncateLongestFirst(seq(n1), undefined, 4)).toEqual([seq(Math.min(n1, 4)), undefined]);
      }
    }
    expect(() => truncateLongestFirst([1], [2], -1)).toThrow(TokenizerInputError);
  });
});
