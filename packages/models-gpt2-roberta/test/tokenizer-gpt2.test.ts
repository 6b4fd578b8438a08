// The library-backed GPT-2 tokenizer against an independent implementation of OpenAI's original encoder.py
// (gpt-2/src/encoder.py: bytes_to_unicode, the pre-tokenisation regex, the greedy lowest-rank merge loop), both run on
// the fixture vocabulary of test-fixtures/tiny-gpt2. The real GPT-2 vocabulary is not committed (see the README).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  KA_SPECIAL_TOKENS,
  TokenizerInputError,
  loadGpt2Tokenizer,
  loadTokenizer,
  type Gpt2Tokenizer,
} from '../src/tokenizer/index.js';

const FIXTURE = fileURLToPath(new URL('../../../test-fixtures/tiny-gpt2', import.meta.url));

// ---- reference: encoder.py, written from its description ----------------------------------------------------------

/** bytes_to_unicode(): printable Latin-1 bytes map to themselves, the 68 others to U+0100 onwards, in byte order. */
function referenceByteEncoder(): string[] {
  const keep = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const table: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b += 1) table[b] = String.fromCodePoint(keep(b) ? b : 256 + shifted++);
  return table;
}

const REFERENCE_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

class ReferenceEncoder {
  readonly #encoder: Map<string, number>;
  readonly #ranks: Map<string, number>;
  readonly #byteEncoder = referenceByteEncoder();

  constructor(vocab: Record<string, number>, mergesTxt: string) {
    this.#encoder = new Map(Object.entries(vocab));
    // encoder.py: bpe_merges = [tuple(l.split()) for l in bpe_data.split('\n')[1:-1]]
    const lines = mergesTxt.split('\n').slice(1, -1);
    this.#ranks = new Map(lines.map((line, rank) => [line, rank]));
  }

  /** encoder.py `bpe(token)`: merge the lowest-ranked pair everywhere, left to right, until none is left. */
  bpe(token: string): string[] {
    let word = Array.from(token);
    while (word.length > 1) {
      let bigram: [string, string] | undefined;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i += 1) {
        const rank = this.#ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bigram = [word[i]!, word[i + 1]!];
        }
      }
      if (bigram === undefined) break;
      const [first, second] = bigram;
      const merged: string[] = [];
      let i = 0;
      while (i < word.length) {
        const j = word.indexOf(first, i);
        if (j < 0) {
          merged.push(...word.slice(i));
          break;
        }
        merged.push(...word.slice(i, j));
        i = j;
        if (i < word.length - 1 && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i]!);
          i += 1;
        }
      }
      word = merged;
    }
    return word;
  }

  encode(text: string): number[] {
    const utf8 = new TextEncoder();
    return (text.match(REFERENCE_PATTERN) ?? []).flatMap((piece) => {
      const symbols = Array.from(utf8.encode(piece), (b) => this.#byteEncoder[b]!).join('');
      return this.bpe(symbols).map((t) => {
        const id = this.#encoder.get(t);
        if (id === undefined) throw new Error(`reference: ${t} not in vocab`);
        return id;
      });
    });
  }

  decode(ids: readonly number[]): string {
    const tokenOf = new Map([...this.#encoder].map(([t, id]) => [id, t]));
    const byteOf = new Map(this.#byteEncoder.map((c, b) => [c, b]));
    const bytes = ids.flatMap((id) => Array.from(tokenOf.get(id)!, (c) => byteOf.get(c)!));
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
}

// ---- the tricky strings --------------------------------------------------------------------------------------------

const TRICKY: readonly string[] = [
  'Hello world',
  ' leading space',
  '  two leading spaces',
  'trailing space ',
  "it's they're we've I'm you'll he'd don't",
  "IT'S CAPS 'S 'T 'LL",
  "'s at the start, ''s doubled, rock'n'roll",
  'Café naïve façade Zürich São Paulo Škoda',
  "The Dead Man's Plack is dedicated to Æthelwald, Ealdorman of East Anglia.",
  'Adolfo_Suárez_Madrid–Barajas_Airport runwayLength 3500.0',
  '東京は日本の首都です。東京タワー',
  'Emoji 🙂👍🏽 🎉✨ family 👨‍👩‍👧 end',
  '1234567890123456789 and 3.14159 and 100,000 and 2014-2015',
  'Line one\nLine two\n\nLine four\n',
  'tabs\tand\t\ttabs',
  'runs of    spaces   here  ',
  '   \n  mixed whitespace \r\n end',
  'punctuation!!! ??? ... --- ((nested)) [x] {y} @#$%^&*',
  'Jacob_Bundsgaard leaderName 1._FC_Magdeburg "1174"',
  'Ωmega Москва ελληνικά עברית العربية',
  'combining e\u0301 vs precomposed \u00e9',
  '\u00a0non-breaking\u00a0space and\u2009thin space',
  'zero\u200bwidth and soft\u00adhyphen',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'mixed123abc456 v2.0-beta_3 x86_64',
  'ﬁ ligature, ① circled, ² superscript, Ⅻ roman',
  "it 's a charming and often affecting journey . ",
  'x',
];

describe('GPT-2 tokenizer vs encoder.py on the fixture vocabulary', () => {
  let tok: Gpt2Tokenizer;
  let ref: ReferenceEncoder;

  beforeAll(async () => {
    tok = await loadGpt2Tokenizer(FIXTURE);
    ref = new ReferenceEncoder(
      JSON.parse(await readFile(join(FIXTURE, 'vocab.json'), 'utf8')),
      await readFile(join(FIXTURE, 'merges.txt'), 'utf8'),
    );
  });

  it('has the GPT-2 layout: 256 byte symbols first, <|endoftext|> last', () => {
    expect(tok.kind).toBe('gpt2');
    expect(tok.vocabSize).toBe(657);
    expect(tok.idToToken(0)).toBe('!');
    expect(tok.tokenToId('Ġ')).toBe(220); // as in the real GPT-2 vocabulary
    expect(tok.tokenToId('Ā')).toBe(188); // byte 0
    expect(tok.tokenToId('<|endoftext|>')).toBe(656);
    expect(tok.specialIds).toEqual([656]);
  });

  it.each(TRICKY.map((s) => [JSON.stringify(s), s]))('encodes %s as encoder.py does', (_, text) => {
    const ids = tok.encode(text);
    expect(ids).toEqual(ref.encode(text));
    expect(ids.length).toBeLessThanOrEqual(new TextEncoder().encode(text).length);
  });

  it('gives the ids that HF tokenizers 0.22.2 (Rust) gives on the fixture tokenizer.json (golden)', () => {
    expect(tok.encode('The leader of Aarhus is Jacob Bundsgaard.')).toEqual([295, 381, 273, 267, 478, 268, 557, 420, 537, 13]);
    expect(tok.encode("it 's a charming and often affecting journey . ")).toEqual([
      287, 311, 82, 256, 277, 400, 76, 288, 300, 273, 83, 271, 256, 69, 69, 68, 488, 220, 73, 526, 77, 494, 291, 220,
    ]);
    expect(tok.encode('Café 東京 🙂 2014-2015\n\n  x')).toEqual([653, 69, 545, 220, 552, 594, 566, 12, 612, 198, 198, 220, 220, 87]);
    expect(tok.encode("Don't, won't: they're")).toEqual([35, 282, 343, 11, 284, 282, 343, 25, 592, 599]);
  });

  it('covers at least 20 tricky strings, with multi-byte merges among them', () => {
    expect(TRICKY.length).toBeGreaterThanOrEqual(20);
    const ids = TRICKY.reduce((n, s) => n + tok.encode(s).length, 0);
    const bytes = TRICKY.reduce((n, s) => n + new TextEncoder().encode(s).length, 0);
    expect(ids).toBeLessThan(0.7 * bytes); // the merges are exercised, not just the byte symbols
    // The fixture merges learnt UTF-8 byte pairs (e.g. the two bytes of "é" = "Ã©").
    expect(tok.tokenize('Café')).toEqual(ref.bpe('CafÃ©'));
    expect(tok.tokenize('Café').some((t) => t.includes('Ã©'))).toBe(true);
  });

  it('splits contractions, digit runs and whitespace runs as GPT-2 does', () => {
    expect(tok.tokenize("they're")).toEqual(['the', 'y', "'re"]); // 'they' is no fixture token; "'re" is split off
    expect(tok.tokenize("IT'S")).toEqual(['I', 'T', "'", 'S']); // contractions are case-sensitive in GPT-2's regex
    expect(tok.tokenize('a  b')).toEqual(['a', 'Ġ', 'Ġb']); // "\s+(?!\S)" leaves the last space to the word
    expect(tok.tokenize('x\n\ny').map((t) => tok.tokenToId(t))).toEqual(ref.encode('x\n\ny'));
    expect(tok.tokenize('x\n\ny')[0]).toBe('x');
    expect(tok.tokenize('x\n\ny').join('')).toBe('xĊĊy');
  });

  it('adds no prefix space and no special token', () => {
    expect(tok.tokenize('The leader')[0]).toBe('The');
    expect(tok.encode('')).toEqual([]);
    expect(tok.encode('Aarhus')).not.toContain(656);
  });

  it('returns no token for a whitespace-only text, as the slow GPT2Tokenizer does', () => {
    expect(tok.encode('   ')).toEqual([]);
    expect(tok.encode('\n\t \u00a0')).toEqual([]);
    expect(ref.encode('   ').length).toBeGreaterThan(0); // encoder.py itself would encode it
  });

  it('decodes every tricky string back to itself (no clean-up)', () => {
    for (const text of TRICKY) {
      const ids = tok.encode(text);
      if (ids.length === 0) continue;
      expect(tok.decode(ids, { cleanUpTokenizationSpaces: false })).toBe(text);
      expect(ref.decode(ids)).toBe(text);
    }
  });
});

describe('GPT-2 special tokens (KA order, spec §7.1)', () => {
  let tok: Gpt2Tokenizer;
  let ref: ReferenceEncoder;
  beforeAll(async () => {
    tok = await loadGpt2Tokenizer(FIXTURE);
    ref = new ReferenceEncoder(
      JSON.parse(await readFile(join(FIXTURE, 'vocab.json'), 'utf8')),
      await readFile(join(FIXTURE, 'merges.txt'), 'utf8'),
    );
    // KA passes the tuple with a trailing duplicate '<pad>', which is skipped.
    expect(tok.addSpecialTokens([...KA_SPECIAL_TOKENS, '<pad>'])).toBe(16);
  });

  it('assigns ids in order after the base vocabulary (<pad> = base, <target_webnlg> = base + 15)', () => {
    expect(KA_SPECIAL_TOKENS).toHaveLength(16);
    KA_SPECIAL_TOKENS.forEach((t, i) => expect(tok.tokenToId(t)).toBe(657 + i));
    expect(tok.tokenToId('<pad>')).toBe(657);
    expect(tok.tokenToId('<bos_webnlg>')).toBe(667);
    expect(tok.tokenToId('<target_webnlg>')).toBe(672);
    expect(tok.vocabSize).toBe(673);
    expect(tok.idToToken(672)).toBe('<target_webnlg>');
    expect(tok.addSpecialTokens(['<pad>', '<subject>'])).toBe(0); // already there
    expect(tok.vocabSize).toBe(673);
  });

  it('matches a special token in text as one token and strips whitespace around it (slow tokenizer)', () => {
    const s = tok.tokenToId('<subject>')!;
    const p = tok.tokenToId('<property>')!;
    expect(tok.encode('<subject> Aarhus <property>leaderName')).toEqual([s, ...ref.encode('Aarhus'), p, ...ref.encode('leaderName')]);
    expect(tok.encode('a  <subject>  b')).toEqual([...ref.encode('a'), s, ...ref.encode('b')]);
    expect(tok.encode('<subject><property>')).toEqual([s, p]);
    expect(tok.encode('x<object>y')).toEqual([...ref.encode('x'), tok.tokenToId('<object>'), ...ref.encode('y')]);
  });

  it('matches <|endoftext|> as one token without stripping (GPT-2 declares it lstrip = rstrip = False)', () => {
    expect(tok.encode('a <|endoftext|> b')).toEqual([...ref.encode('a '), 656, ...ref.encode(' b')]);
    expect(tok.encode('<|endoftext|>')).toEqual([656]);
  });

  it('decodes as HF 4.10: spaces around added tokens, clean-up, skipSpecialTokens drops all specials', () => {
    const bos = tok.tokenToId('<bos_webnlg>')!;
    const eos = tok.tokenToId('<eos_webnlg>')!;
    const ids = [bos, ...tok.encode("it 's a film , is n't it ?"), eos, 656];
    expect(tok.decode(ids)).toBe("<bos_webnlg> it's a film, isn't it? <eos_webnlg> <|endoftext|>");
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("it's a film, isn't it?");
    expect(tok.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false })).toBe("it 's a film , is n't it ?");
    expect(tok.decode(ids, { spacesBetweenSpecialTokens: false })).toBe("<bos_webnlg>it's a film, isn't it?<eos_webnlg><|endoftext|>");
    expect(tok.decode([])).toBe('');
  });

  it('rejects an id outside the vocabulary, naming its position', () => {
    expect(() => tok.decode([1, 673])).toThrow(TokenizerInputError);
    expect(() => tok.decode([1, 673])).toThrow(/ids\[1\].*673/);
    expect(() => tok.addSpecialTokens([''])).toThrow(/tokens\[0\]/);
  });
});

describe('GPT-2 tokenizer from vocab.json + merges.txt (no tokenizer.json)', () => {
  it('gives the same ids as from tokenizer.json, including after adding the KA tokens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peft-gpt2-tok-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    for (const f of ['vocab.json', 'merges.txt', 'special_tokens_map.json']) {
      await writeFile(join(dir, f), await readFile(join(FIXTURE, f)));
    }
    const fromPair = await loadTokenizer(dir);
    const fromJson = await loadTokenizer(FIXTURE);
    expect(fromPair.kind).toBe('gpt2');
    expect(fromPair.vocabSize).toBe(fromJson.vocabSize);
    for (const t of [fromPair, fromJson]) t.addSpecialTokens(KA_SPECIAL_TOKENS);
    for (const text of [...TRICKY, 'a <subject> b <|endoftext|>']) expect(fromPair.encode(text)).toEqual(fromJson.encode(text));
    expect(fromPair.specialIds).toEqual(fromJson.specialIds);
  });
});
