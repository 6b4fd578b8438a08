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

  it("truncates 'longest_first': one token at a time from the longer text, from the second on a tie", () => {
    const tenA = 'a a a a a a a a a a'; // 'a' + 9 × 'Ġa'
    const tenI = 'i i i i i i i i i i'; // 'i' + 9 × 'Ġi'
    expect(tok.encode(tenA)).toHaveLength(10);
    expect(tok.encode(tenI)).toHaveLength(10);
    // 10 + 10 into 19 - 4 = 15: (10,10) → (10,9) → (9,9) → (9,8) → (8,8) → (8,7).
    const tie = tok.encodeForClassification(tenA, tenI, 19);
    expect(tie.inputIds).toEqual([0, 19, ...Array(7).fill(12), 2, 2, 35, ...Array(6).fill(117), 2]);
    expect(tie.attentionMask).toEqual(Array(19).fill(1));
    // 10 + 3 into 13 - 4 = 9: all 4 removed from the first text.
    expect(tok.encodeForClassification(tenA, 'i i i', 13).inputIds).toEqual([0, 19, 12, 12, 12, 12, 12, 2, 2, 35, 117, 117, 2]);
    // single text: 10 into 6 - 2 = 4.
    expect(tok.encodeForClassification(tenA, undefined, 6).inputIds).toEqual([0, 19, 12, 12, 12, 2]);
  });

  it('pads a batch to max length, or to its longest row', () => {
    const rows = tok.encodeBatchForClassification([['a a a'], ['a film', 'the end']], 512, false);
    const longest = tok.encodePair('a film', 'the end').length;
    expect(rows.map((r) => r.inputIds.length)).toEqual([longest, longest]);
    expect(rows[0]!.attentionMask).toEqual([1, 1, 1, 1, 1, ...Array(longest - 5).fill(0)]);
    expect(tok.encodeBatchForClassification([['a'], ['b']], 8).every((r) => r.inputIds.length === 8)).toBe(true);
  });

  it('refuses a max length that leaves nothing of a text, and a GPT-2 directory', async () => {
    expect(() => tok.encodeForClassification('a', 'b', 4)).toThrow(TokenizerInputError);
    expect(() => tok.encodeForClassification('a', 'b', 4)).toThrow(/maxLength/);
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

  it('agrees with a closed form on every small case', () => {
    for (let n1 = 0; n1 <= 8; n1 += 1) {
      for (let n2 = 0; n2 <= 8; n2 += 1) {
        for (let budget = 1; budget <= 12; budget += 1) {
          const remove = Math.max(0, n1 + n2 - budget);
          // Closed form of the one-at-a-time loop: cut the longer text down to the shorter, then alternate,
          // the second text giving first.
          const gap = Math.min(remove, Math.abs(n1 - n2));
          let k1 = n1 > n2 ? n1 - gap : n1;
          let k2 = n2 >= n1 ? n2 - gap : n2;
          const rest = remove - gap;
          k2 -= Math.ceil(rest / 2);
          k1 -= Math.floor(rest / 2);
          const call = (): unknown => truncateLongestFirst(seq(n1), seq(n2, 100), budget);
          if (remove > 0 && (k1 <= 0 || k2 <= 0)) {
            expect(call).toThrow(TokenizerInputError);
            continue;
          }
          expect(call()).toEqual([seq(k1), seq(k2, 100)]);
        }
      }
    }
  });
});
