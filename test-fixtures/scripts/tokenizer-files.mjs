// Writes the tokenizer files of the tiny GPT-2 and RoBERTa test checkpoints: a deterministic byte-level BPE vocabulary
// learnt from the small corpus below, in the exact file layouts of the Hugging Face `gpt2` and `roberta-base` checkpoints
// (vocab.json, merges.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json).
//
//   node test-fixtures/scripts/tokenizer-files.mjs            # writes both fixture folders
//   import { writeTokenizerFiles, FIXTURE_VOCAB_SIZE } from './scripts/tokenizer-files.mjs'
//
// Everything here is computed, nothing is downloaded: the 256 byte symbols of GPT-2's byte-to-unicode table, then
// FIXTURE_MERGE_COUNT merges learnt greedily (most frequent adjacent pair; ties broken by the pair's string) from CORPUS
// after GPT-2's pre-tokenisation. Re-running the script rewrites byte-identical files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Number of BPE merges learnt from CORPUS (merges.txt lines after the version header). */
export const FIXTURE_MERGE_COUNT = 400;

/**
 * Training text: WebNLG 2017 dev lexicalisations and raw triple fields (shared/data/webnlg, CC BY-NC-SA 4.0),
 * GLUE SST-2 dev sentences (shared/data/sst2), and a few lines written here so that contractions, digits, accents,
 * CJK, emoji and whitespace runs get merges of their own.
 */
export const CORPUS = [
  'The leader of Aarhus is Jacob Bundsgaard.',
  'Aarhus leaderName Jacob_Bundsgaard',
  'The runway length of Alpena County Regional Airport is 1,533.',
  'Alpena_County_Regional_Airport runwayLength 1533.0',
  'Philippe of Belgium is the leader of Belgium.',
  '11 Diagonal Street was completed in 1983.',
  '11_Diagonal_Street completionDate 1983',
  'Ampara Hospital is located in Sri Lanka.',
  'Cape Town is the capital of South Africa.',
  'Amarillo is part of Potter County in Texas.',
  'Amarillo,_Texas isPartOf Potter_County,_Texas',
  'The comic character Auron was created by Marv Wolfman.',
  'The alternative name for Ajoblanco is "Ajo blanco".',
  'Ajoblanco alternativeName "Ajo blanco"',
  "Azerbaijan leader's name is Artur Rasizade.",
  'The ground of A.S. Gubbio 1910 is located in Italy.',
  'The book, A Loyal Character Dancer, has the ISBN number of 1-56947-301-3.',
  'Alcatraz Versus The Evil Librarian OCLC number is 78771100.',
  'The Adolfo Suárez Madrid–Barajas Airport located at San Sebastian de los Reye has a runway length of 3500.',
  'Adolfo_Suárez_Madrid–Barajas_Airport runwayLength 3500.0',
  'Angola International Airport serves the city of Luanda, it is 159m above sea level.',
  'Addis Ababa City Hall is 42 m high and houses the Government of Addis Ababa.',
  'Tomato is an ingredient in Amatriciana sauce which comes from Lazio.',
  "The Dead Man's Plack, which is made of rock, is dedicated to Æthelwald, Ealdorman of East Anglia.",
  "Dead_Man's_Plack dedicatedTo Æthelwald,_Ealdorman_of_East_Anglia",
  'A Glastonbury Romance has 1174 pages and is available in print.',
  'Al Asad Airbase is operated by the United States Air Force.',
  'Al_Asad_Airbase operatingOrganisation United_States_Air_Force',
  "it 's a charming and often affecting journey . ",
  'unflinchingly bleak and desperate ',
  'allows us to hope that nolan is poised to embark a major career as a commercial yet inventive filmmaker . ',
  "the acting , costumes , music , cinematography and sound are all astounding given the production 's austere locales . ",
  "it 's slow -- very , very slow . ",
  'a sometimes tedious film . ',
  "you do n't have to know about music to appreciate the film 's easygoing blend of comedy and romance . ",
  "in exactly 89 minutes , most of which passed as slowly as if i 'd been sitting naked on an igloo . ",
  'the mesmerizing performances of the leads keep the film grounded and keep the audience riveted . ',
  "even horror fans will most likely not find what they 're seeking with trouble every day . ",
  "she 's as morning-glory exuberant as she was in amélie . ",
  // Written here: contractions, accents, digits, CJK, emoji and whitespace runs.
  "It's the film's best scene; they're sure we've seen it, I'm told you'll like it and he'd agree.",
  "Don't, won't, can't: it's what it's.",
  'Café in Zürich, naïve façade, São Paulo, Škoda, Ωmega, Москва.',
  '東京は日本の首都です。東京タワー。北京。',
  'Emoji: 🙂 🙂🙂 👍🏽 🎉 ✨',
  'Numbers: 1234567890 2014 2015 2014-2015 3.14159 100,000',
  'Line one\nLine two\n\nLine four\twith a tab   and   three spaces.',
];

/** GPT-2's reversible byte → printable-character table (byte b ↦ character), in GPT-2's vocabulary order. */
export function byteSymbols() {
  const printable = [];
  for (let b = 0x21; b <= 0x7e; b += 1) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b += 1) printable.push(b);
  for (let b = 0xae; b <= 0xff; b += 1) printable.push(b);
  const symbolOf = new Array(256);
  for (const b of printable) symbolOf[b] = String.fromCodePoint(b);
  let next = 0;
  const order = [...printable];
  for (let b = 0; b < 256; b += 1) {
    if (symbolOf[b] === undefined) {
      symbolOf[b] = String.fromCodePoint(256 + next);
      next += 1;
      order.push(b);
    }
  }
  // GPT-2's vocab.json lists the 256 byte symbols first: the printable bytes in byte order, then the others.
  return { symbolOf, vocabOrder: order.map((b) => symbolOf[b]) };
}

const PRE_TOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Word (byte-symbol string) → count over the corpus, after GPT-2 pre-tokenisation. */
function wordCounts(corpus, symbolOf) {
  const counts = new Map();
  const utf8 = new TextEncoder();
  for (const line of corpus) {
    for (const piece of line.match(PRE_TOKENIZE) ?? []) {
      const word = Array.from(utf8.encode(piece), (b) => symbolOf[b]).join('');
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

/** Greedy BPE training: each step merges the most frequent adjacent pair (ties: smallest "a b" string). */
export function learnMerges(corpus, mergeCount) {
  const { symbolOf } = byteSymbols();
  const words = [...wordCounts(corpus, symbolOf)].map(([w, n]) => ({ parts: Array.from(w), n }));
  const merges = [];
  for (let step = 0; step < mergeCount; step += 1) {
    const pairCounts = new Map();
    for (const { parts, n } of words) {
      for (let i = 0; i + 1 < parts.length; i += 1) {
        const key = `${parts[i]} ${parts[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + n);
      }
    }
    let best;
    let bestCount = 0;
    for (const [key, n] of pairCounts) {
      if (n > bestCount || (n === bestCount && key < best)) {
        best = key;
        bestCount = n;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split(' ');
    merges.push([a, b]);
    for (const word of words) {
      const out = [];
      for (let i = 0; i < word.parts.length; i += 1) {
        if (i + 1 < word.parts.length && word.parts[i] === a && word.parts[i + 1] === b) {
          out.push(a + b);
          i += 1;
        } else out.push(word.parts[i]);
      }
      word.parts = out;
    }
  }
  return merges;
}

/** Base tokens (byte symbols, then each merge's result once, in merge order), shared by both layouts. */
function baseTokens(merges) {
  const tokens = [...byteSymbols().vocabOrder];
  const seen = new Set(tokens);
  for (const [a, b] of merges) {
    if (!seen.has(a + b)) {
      seen.add(a + b);
      tokens.push(a + b);
    }
  }
  return tokens;
}

function buildFiles(kind) {
  const merges = learnMerges(CORPUS, FIXTURE_MERGE_COUNT);
  const base = baseTokens(merges);
  const vocab = {};
  const addedTokens = [];
  const special = (id, content, extra = {}) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
    ...extra,
  });
  let postProcessor;
  let specialMap;
  let tokenizerConfig;
  if (kind === 'gpt2') {
    // gpt2: byte symbols at 0..255, merge results from 256 in merge order, <|endoftext|> last.
    base.forEach((t, i) => (vocab[t] = i));
    const eot = base.length;
    vocab['<|endoftext|>'] = eot;
    addedTokens.push(special(eot, '<|endoftext|>'));
    postProcessor = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
    specialMap = { bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' };
    tokenizerConfig = {
      add_prefix_space: false,
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
      model_max_length: 1024,
      tokenizer_class: 'GPT2Tokenizer',
    };
  } else if (kind === 'roberta') {
    // roberta-base: <s> <pad> </s> <unk> at 0..3, then the BPE tokens in fairseq dictionary order (by count in the
    // encoded corpus, descending; so ids do NOT follow merge ranks, as in the real file), <mask> last.
    ['<s>', '<pad>', '</s>', '<unk>'].forEach((t, i) => {
      vocab[t] = i;
      addedTokens.push(special(i, t));
    });
    const order = fairseqOrder(base, merges);
    order.forEach((t, i) => (vocab[t] = 4 + i));
    const mask = 4 + order.length;
    vocab['<mask>'] = mask;
    addedTokens.push(special(mask, '<mask>', { lstrip: true, normalized: false }));
    postProcessor = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false };
    const maskToken = { content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: false };
    specialMap = {
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      sep_token: '</s>',
      pad_token: '<pad>',
      cls_token: '<s>',
      mask_token: maskToken,
    };
    tokenizerConfig = {
      add_prefix_space: false,
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      sep_token: '</s>',
      pad_token: '<pad>',
      cls_token: '<s>',
      mask_token: maskToken,
      model_max_length: 512,
      tokenizer_class: 'RobertaTokenizer',
    };
  } else {
    throw new Error(`writeTokenizerFiles: kind must be 'gpt2' or 'roberta', got ${JSON.stringify(kind)}`);
  }
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      // gpt2 keeps the classic "a b" string merges; roberta uses the newer [a, b] pair form: both forms get loaded.
      merges: kind === 'gpt2' ? merges.map(([a, b]) => `${a} ${b}`) : merges,
    },
  };
  return {
    'vocab.json': JSON.stringify(vocab),
    'merges.txt': `#version: 0.2\n${merges.map(([a, b]) => `${a} ${b}`).join('\n')}\n`,
    'tokenizer.json': `${JSON.stringify(tokenizerJson, null, 2)}\n`,
    'tokenizer_config.json': `${JSON.stringify(tokenizerConfig, null, 2)}\n`,
    'special_tokens_map.json': `${JSON.stringify(specialMap, null, 2)}\n`,
  };
}

/** BPE tokens ordered by their count when the corpus is encoded with `merges` (desc), ties by string. */
function fairseqOrder(base, merges) {
  const { symbolOf } = byteSymbols();
  const rank = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const count = new Map(base.map((t) => [t, 0]));
  for (const [word, n] of wordCounts(CORPUS, symbolOf)) {
    let parts = Array.from(word);
    for (;;) {
      let bestI = -1;
      let bestR = Infinity;
      for (let i = 0; i + 1 < parts.length; i += 1) {
        const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestR) {
          bestR = r;
          bestI = i;
        }
      }
      if (bestI < 0) break;
      parts = [...parts.slice(0, bestI), parts[bestI] + parts[bestI + 1], ...parts.slice(bestI + 2)];
    }
    for (const p of parts) count.set(p, count.get(p) + n);
  }
  return [...base].sort((x, y) => count.get(y) - count.get(x) || (x < y ? -1 : x > y ? 1 : 0));
}

function vocabSizeOf(kind) {
  return Object.keys(JSON.parse(buildFiles(kind)['vocab.json'])).length;
}

/** Size of vocab.json (base vocabulary, before any added special token) of each fixture tokenizer. */
export const FIXTURE_VOCAB_SIZE = Object.freeze({ gpt2: vocabSizeOf('gpt2'), roberta: vocabSizeOf('roberta') });

/** Writes the five tokenizer files of `kind` ('gpt2' | 'roberta') into `dir` (created if missing). */
export function writeTokenizerFiles(dir, kind) {
  const files = buildFiles(kind);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { files: Object.keys(files), vocabSize: FIXTURE_VOCAB_SIZE[kind] };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..');
  for (const [kind, folder] of [
    ['gpt2', 'tiny-gpt2'],
    ['roberta', 'tiny-roberta'],
  ]) {
    const { vocabSize } = writeTokenizerFiles(join(fixtures, folder), kind);
    console.log(`${folder}: ${vocabSize} tokens`);
  }
}
