import { describe, expect, it } from 'vitest';
import {
  corpusMeteor,
  englishSynonyms,
  MeteorInputError,
  MeteorResourceError,
  morphBaseForm,
  normalizeMeteorLine,
  parseParaphraseTable,
  segmentMeteor,
  stemEnglish,
  synonymSetIds,
  tokenizeEnglishLine,
} from '../src/index.js';
import { javaHashCode, javaTokenize, javaTrim } from '../src/meteor/javaString.js';
import { phrasesStartingAt } from '../src/meteor/paraphrase.js';

// Expected figures below were produced by METEOR 1.5 (built from its public source, run outside this repository):
//   java Meteor hand.hyp hand.ref -l en -norm -r 3 -m "exact stem synonym"      (HAND_JAR)
//   java Meteor hand.hyp hand.ref -l en -norm -r 3 -a para.gz                   (HAND_JAR_PARAPHRASE, table below)
// where hand.hyp / hand.ref hold HAND_CASES (3 reference lines per segment, '' = blank padding line).
const HAND_CASES: [string, string[]][] = [
  ['the cat sat on the mat', ['the cat sat on the mat', '', '']],
  ['the automobile was running quickly', ['a car ran fast', 'the car runs quickly', '']],
  ['geese were flying over the houses', ['a goose flew above the house', '', '']],
  ['', ['something here', '', '']],
  ['word', ['', '', '']],
  ['he was born in london , the capital of england .', ['born in london , capital of england , he was .', 'london is where he was born', 'the capital of england is london']],
  ['the the the cat', ['the cat the the', 'cat the', '']],
  ["Dr. Smith's car, a U.S.-made Ford, costs $1,000.", ['Doctor Smith owns a US-made Ford that cost 1,000 dollars.', "Dr. Smith's Ford (U.S. made) cost $1,000.", '']],
  ['The Eiffel Tower is located in Paris, which is the capital of France.', ['Paris, the capital of France, is where the Eiffel Tower lies.', "The Eiffel Tower is situated in Paris, France's capital.", 'Located in Paris is the Eiffel Tower.']],
  ['Alan Bean was a member of the Apollo 12 crew and was born in Wheeler, Texas.', ['Alan Bean, born in Wheeler, Texas, belongs to the crew of Apollo 12.', 'Apollo 12 crew member Alan Bean was born in Wheeler, Texas.', '']],
];
const HAND_JAR = {
  score: 0.4357658141106675,
  precision: 0.8205128205128205,
  recall: 0.8648648648648649,
  penalty: 0.4920604729272532,
  segments: [1, 0.38590061365350437, 0.24050809843031007, 0, 0, 0.4741276505294616, 0.4776696620223255, 0.42897263619332243, 0.46714763884833377, 0.5135788136673546],
};
const HAND_JAR_PARAPHRASE = {
  score: 0.4323613936879279,
  segments: [1, 0.38590061365350437, 0.24050809843031007, 0, 0, 0.4741276505294616, 0.4776696620223255, 0.42897263619332243, 0.4462928335426047, 0.5135788136673546],
};
/** A small hand-written table in METEOR's paraphrase-en format (probability, phrase, paraphrase). */
const HAND_PARAPHRASE_TEXT = [
  ['0.5', 'was born in', 'born in'], ['0.4', 'born in', 'was born in'], ['0.3', 'is located in', 'lies in'],
  ['0.3', 'located in', 'situated in'], ['0.2', 'located', 'situated'], ['0.6', 'the capital of', 'capital of'],
  ['0.2', 'is a member of', 'belongs to'], ['0.5', 'the united states', 'the us'], ['0.5', 'united states', 'usa'],
  ['0.1', 'which is', 'that is'], ['0.1', 'is', 'was'], ['0.1', 'was', 'is'], ['0.3', 'a member of', 'part of'],
  ['0.3', ', which', 'that'], ['0.25', 'is the', 'was the'], ['0.2', ', and', 'and'], ['0.2', 'the leader of', 'the head of'],
  ['0.2', 'leader', 'head'], ['0.3', 'written by', 'authored by'], ['0.3', 'was written by', 'wrote'],
].map((record) => record.join('\n')).join('\n') + '\n';

const hyps = HAND_CASES.map(([hyp]) => hyp);
const refs = HAND_CASES.map(([, r]) => r);

describe('METEOR 1.5 -norm tokenizer', () => {
  // Left: raw line; right: edu.cmu.meteor.util.Normalizer (english, keep punctuation) output from the jar's code.
  const JAR_TOKENIZED: [string, string][] = [
    ["Dr. Smith went to Washington D.C. on Jan. 5th, 1999... Really?!",
     "Dr. Smith went to Washington DC on Jan . 5th , 1999 ... Really ? !"],
    ["The U.S.-based company's CEO said: \"We'll win\" -- and they did – mostly.",
     "The US based company 's CEO said : \" We 'll win \" - and they did - mostly ."],
    ["It's the 1990's; isn't it? 'quoted' ``double'' “curly” ‘single’ rock'n'roll",
     "It 's the 1990 's ; isn 't it ? ' quoted ' \" double \" \" curly \" ' single ' rock 'n'roll"],
    ["No. 5 and No 6, Art. 12 pp. 3-4, e.g. this i.e. that, vs. them",
     "No. 5 and No 6 , Art. 12 pp. 3 4 , eg this ie that , vs. them"],
    ["He paid $1,000,000.00 for 3,5 items, a,b,c and 1,a and a,1.",
     "He paid $ 1,000,000.00 for 3,5 items , a , b,c and 1 , a and a , 1 ."],
    ["Café naïve résumé Ångström Москва ПРИВЕТ. Zürich's",
     "Café naïve résumé Ångström Москва ПРИВЕТ . Zürich 's"],
    ["Wait.... what..... ok.. fine. End.",
     "Wait .... what ..... ok .. fine . End ."],
    ["tabs\tand  multiple   spaces  and non-breaking spaces and　ideographic",
     "tabs and multiple spaces and non breaking spaces and ideographic"],
    ["emoji 😀 test ™ © ® ½ → «quoted» ¿qué? ¡sí!",
     "emoji 😀 test ™ © ® ½ → « quoted » ¿ qué ? ¡ sí !"],
    ["A.B.C. a.b. x. Y. mr. Mr. MR. Inc. inc. etc.",
     "ABC ab x . Y. mr . Mr. MR. Inc. inc. etc ."],
    ["hyphen-ated well-known state-of-the-art 1-2 a-1 -start end- --double---triple",
     "hyphen ated well known state of the art 1 2 a 1 -start end- -double--triple"],
    ["back`tick and apos' trailing 'leading o'clock rock 'n' roll 70's '70s",
     "back 'tick and apos ' trailing ' leading o 'clock rock ' n ' roll 70 's ' 70s"],
  ];
  it('tokenizes like the jar, including abbreviations, numbers, quotes, dashes and Unicode', () => {
    for (const [raw, expected] of JAR_TOKENIZED) expect(tokenizeEnglishLine(raw)).toBe(expected);
  });
  it('lower-cases after tokenizing (-norm)', () => {
    expect(normalizeMeteorLine('Dr. Smith visited the U.S. in 1999.')).toBe('dr. smith visited the us in 1999 .');
  });
});

describe('Java string helpers', () => {
  it('reproduces String.hashCode, including its collisions and overflow', () => {
    expect(javaHashCode('Aa')).toBe(2112);
    expect(javaHashCode('BB')).toBe(2112);
    expect(javaHashCode('hello world')).toBe(1794106052);
    expect(javaHashCode('')).toBe(0);
  });
  it('splits like StringTokenizer and trims like String.trim', () => {
    expect(javaTokenize('\t a  b\u00a0c \f')).toEqual(['a', 'b\u00a0c']);
    expect(javaTrim('\u0001 x \u00a0')).toBe('x \u00a0');
  });
});

describe('stem and synonym resources', () => {
  it('stems with Snowball English exactly as the jar (words checked against its englishStemmer)', () => {
    const jar: Record<string, string> = {
      generously: 'generous', dying: 'die', skies: 'sky', news: 'news', running: 'run', happily: 'happili', ugly: 'ugli',
      proceed: 'proceed', gently: 'gentl', innings: 'inning', atlantic: 'atlant', universities: 'univers',
      organization: 'organ', generation: 'generat', caress: 'caress', ponies: 'poni', consignment: 'consign', knightly: 'knight',
    };
    for (const [word, stem] of Object.entries(jar)) expect(stemEnglish(word)).toBe(stem);
  });
  it('finds WordNet 3.0 synonyms and base forms as METEOR does', () => {
    const wn = englishSynonyms();
    expect(wn.synsets.size).toBe(147306); // lemmas in the jar's english.synsets
    expect(wn.exceptions.get('geese')).toEqual(['goose']);
    expect(morphBaseForm('houses', wn)).toBe('house');
    expect(morphBaseForm('boxes', wn)).toBe('box');
    expect(morphBaseForm('glass', wn)).toBe('glass'); // ends in "ss": returned as is
    expect(morphBaseForm('qwertyuiops', wn)).toBe('');
    const car = synonymSetIds('car', wn);
    expect([...synonymSetIds('automobile', wn)].some((id) => car.has(id))).toBe(true);
    expect([...synonymSetIds('banana', wn)].some((id) => car.has(id))).toBe(false);
    // "ran" is a verb.exc form of "run": its synsets are those of "run"
    expect([...synonymSetIds('run', wn)].every((id) => synonymSetIds('ran', wn).has(id))).toBe(true);
  });
});

describe('paraphrase table', () => {
  it('parses the paraphrase-en format into a trie of reference phrases', () => {
    const table = parseParaphraseTable(HAND_PARAPHRASE_TEXT);
    expect(table.paraphrases.length).toBe(20);
    const words = ['he', 'was', 'born', 'in', 'x'];
    // at "was": "was" -> "is" (record 11), "was born in" -> "born in" (record 0); shortest first
    expect(phrasesStartingAt(table, words, 1)).toEqual([[1, 11], [3, 0]]);
    expect(table.paraphrases[0]).toEqual(['born', 'in']);
    expect(phrasesStartingAt(table, words, 0)).toEqual([]);
  });
  it('rejects a file that is not made of 3-line records', () => {
    expect(() => parseParaphraseTable('0.5\nonly two\n', 'bad.txt')).toThrow(MeteorResourceError);
  });
});

describe('corpusMeteor against METEOR 1.5 on hand-made cases', () => {
  it('matches java -jar meteor-1.5.jar -l en -norm -r 3 -m "exact stem synonym"', () => {
    const r = corpusMeteor(hyps, refs);
    expect(r.score).toBeCloseTo(HAND_JAR.score, 12);
    expect(r.precision).toBeCloseTo(HAND_JAR.precision, 12);
    expect(r.recall).toBeCloseTo(HAND_JAR.recall, 12);
    expect(r.penalty).toBeCloseTo(HAND_JAR.penalty, 12);
    r.segments.forEach((s, i) => expect(s).toBeCloseTo(HAND_JAR.segments[i]!, 12));
  });
  it('matches the jar with the paraphrase module when a table is supplied', () => {
    const r = corpusMeteor(hyps, refs, { paraphraseTable: parseParaphraseTable(HAND_PARAPHRASE_TEXT) });
    expect(r.score).toBeCloseTo(HAND_JAR_PARAPHRASE.score, 12);
    r.segments.forEach((s, i) => expect(s).toBeCloseTo(HAND_JAR_PARAPHRASE.segments[i]!, 12));
  });
  it('agrees with the METEOR formulas worked by hand', () => {
    // "the cat sat" vs "the cat sat down": 3 words matched in 1 chunk; "the" is a function word (weight 1 - delta).
    const delta = 0.75;
    const precision = (2 * delta + 1 * (1 - delta)) / (2 * delta + 1 * (1 - delta));
    const recall = (2 * delta + 1 * (1 - delta)) / (3 * delta + 1 * (1 - delta));
    const fMean = 1 / (0.15 / precision + 0.85 / recall);
    const penalty = 0.6 * Math.pow(1 / 3, 0.2);
    expect(segmentMeteor('the cat sat', ['the cat sat down'])).toBeCloseTo(fMean * (1 - penalty), 12);
    // a perfect match has no fragmentation penalty; the corpus score comes from summed statistics, not a mean
    expect(segmentMeteor('the cat sat', ['the cat sat'])).toBe(1);
    const corpus = corpusMeteor(['the cat sat', 'the cat sat'], [['the cat sat down'], ['the cat sat']]);
    const mean = (corpus.segments[0]! + corpus.segments[1]!) / 2;
    expect(Math.abs(corpus.score - mean)).toBeGreaterThan(0.01);
    // summed: P = 1; R = 3.5 / 4.25; chunks 1 (the perfect segment's chunk is not added) over 6 matched words
    const r2 = 3.5 / 4.25;
    expect(corpus.score).toBeCloseTo((1 / (0.15 + 0.85 / r2)) * (1 - 0.6 * Math.pow(1 / 6, 0.2)), 12);
  });
  it('scores blank padding references 0 so a real reference always wins', () => {
    expect(segmentMeteor('word', ['', '', ''])).toBe(0);
    expect(segmentMeteor('a word', ['', 'a word', ''])).toBe(1);
  });
});

describe('corpusMeteor against METEOR 1.5 on random word salad (many repeated words: a full beam)', () => {
  // 300 segments of 0-29 words over a small vocabulary with stems, synonyms and paraphrases; 10% blank references.
  // The generator below wrote r300.hyp / r300.ref for the jar; its arithmetic must stay exactly as it is.
  function wordSalad(): { hyps: string[]; refs: string[][] } {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const vocabulary = ['the', 'a', 'cat', 'cats', 'car', 'automobile', 'run', 'running', 'ran', 'house', 'houses', 'big', 'large', ',', '.', 'is', 'was', 'born', 'in', 'located', 'situated', 'capital', 'of', 'leader', 'head', 'geese', 'goose', 'which', 'that', 'and', 'united', 'states', 'us'];
    const sentence = (): string => {
      const n = Math.floor(rnd() * 30);
      const words: string[] = [];
      for (let i = 0; i < n; i++) words.push(vocabulary[Math.floor(rnd() * vocabulary.length)]!);
      return words.join(' ');
    };
    const hyps: string[] = [];
    const refs: string[][] = [];
    for (let i = 0; i < 300; i++) {
      hyps.push(sentence());
      const segmentRefs: string[] = [];
      for (let k = 0; k < 3; k++) segmentRefs.push(rnd() < 0.1 ? '' : sentence());
      refs.push(segmentRefs);
    }
    return { hyps, refs };
  }
  const { hyps: saladHyps, refs: saladRefs } = wordSalad();
  it('matches the jar with -m "exact stem synonym" (beam 40) and with -x 5', () => {
    const r = corpusMeteor(saladHyps, saladRefs);
    expect(r.score).toBeCloseTo(0.15319132372530475, 12);
    expect(r.segments[0]).toBeCloseTo(0.2438885892707788, 12);
    expect(r.segments[16]).toBeCloseTo(0.14651464029742597, 12);
    expect(r.segments[149]).toBeCloseTo(0.14425244177310292, 12);
    expect(r.segments[299]).toBeCloseTo(0.15483870967741936, 12);
    expect(corpusMeteor(saladHyps, saladRefs, { beamSize: 5 }).score).toBeCloseTo(0.15834779851187336, 12);
  });
  it('matches the jar with the paraphrase table (-a para.gz)', () => {
    const r = corpusMeteor(saladHyps, saladRefs, { paraphraseTable: parseParaphraseTable(HAND_PARAPHRASE_TEXT) });
    expect(r.score).toBeCloseTo(0.1507111422830894, 12);
  });
});

describe('corpusMeteor input checks', () => {
  it('names the fault', () => {
    expect(() => corpusMeteor(['a'], [])).toThrow(MeteorInputError);
    expect(() => corpusMeteor(['a'], [[]])).toThrow(/segment 0: no reference/);
    expect(() => corpusMeteor(['a'], [['a']], { modules: ['exact', 'paraphrase'] })).toThrow(/paraphraseTable/);
    expect(() => corpusMeteor(['a'], [['a']], { beamSize: 0 })).toThrow(/beamSize/);
  });
});
