// TER on hand-made and generated cases, against the per-segment figures tercom 0.7.25 printed for them
// (`-o ter` output: edits and average reference length), with its options off and on.
import { describe, expect, it } from 'vitest';
import { corpusTer, corpusTerFromTrans, parseTercomTrans, sentenceTer, TercomTransFormatError } from '../src/ter/index.js';

/** [hypothesis, references] of the hand-made cases. */
const HAND_CASES: [string, string[]][] = [
  ['b c a', ['a b c']], // c0: one shift fixes it
  ['the cat sat on the mat', ['on the mat the cat sat']], // c1: a 3-word block shift
  ['a b c d e f', ['d e f a b c']], // c2
  ['x y z', ['a b', 'a b c d']], // c3: length = mean of 2 and 4
  ['a b', ['a b', 'a b c d']], // c4: best reference has 0 edits, length still the mean
  ['The Cat', ['the cat']], // c5: case
  ['', ['a b c']], // c6: empty hypothesis
  ['new york is a city in the united states', ['new york city is in the united states', 'the city of new york is in the united states of america']], // c7
  ['he said "hello, world!" (twice).', ['he said hello world twice .']], // c8: punctuation
  ["It's 1,000.50 dollars; isn't it?", ["it 's 1,000.50 dollars ; is n't it ?"]], // c9: normalisation
  ['AT&amp;T &quot;rocks&quot; 3-4 times', ['at&t "rocks" 3 - 4 times']], // c10: entities, digit dash
  ['( )', ['( ) .']], // c11: nothing but punctuation
  ['a . b', ['. a b']], // c12
  ['w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 x', ['x w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12']], // c13: shift of 1 word over 12
  ['c a b a c', ['a b c a c']], // c14
];

/** tercom's [edits, ref length] per case, default options; the option runs differ only where listed. */
const DEFAULT: [number, number][] = [
  [1, 3], [1, 6], [1, 6], [3, 3], [0, 3], [0, 2], [3, 3], [2, 10], [4, 6], [8, 9], [5, 6], [1, 3], [1, 3], [1, 13], [1, 5],
];
const withChanges = (changes: Record<number, [number, number]>): [number, number][] =>
  DEFAULT.map((d, k) => changes[k] ?? d);
const OPTION_RUNS: [string, Parameters<typeof sentenceTer>[2], [number, number][], number, number][] = [
  // [tercom flags, options, per-case results, corpus edits, corpus ref length]
  ['(none)', {}, DEFAULT, 32, 81],
  ['-s', { lowercase: false }, withChanges({ 5: [2, 2] }), 34, 81],
  ['-N', { normalize: true }, withChanges({ 8: [6, 6], 9: [2, 9], 10: [0, 10] }), 23, 85],
  ['-P', { punctuation: false }, withChanges({ 8: [0, 5], 9: [4, 7], 11: [0, 0] }), 23, 75],
  ['-N -P', { normalize: true, punctuation: false }, withChanges({ 8: [0, 5], 9: [2, 7], 10: [0, 8], 11: [0, 0] }), 16, 77],
];

describe('hand-made cases with each tercom option', () => {
  it.each(OPTION_RUNS)('tercom %s', (_flags, options, expected, corpusEdits, corpusLength) => {
    HAND_CASES.forEach(([hyp, refs], k) => {
      const r = sentenceTer(hyp, refs, options);
      expect([k, r.edits, r.refLength]).toEqual([k, ...expected[k]!]);
      const [e, n] = expected[k]!;
      expect(r.score).toBe(n > 0 ? e / n : e > 0 ? 1 : 0);
    });
    const total = corpusTer(HAND_CASES.map((c) => c[0]), HAND_CASES.map((c) => c[1]), options);
    expect(total.edits).toBe(corpusEdits);
    expect(total.refLength).toBe(corpusLength);
    expect(total.score).toBeCloseTo(corpusEdits / corpusLength, 15);
  });

  it('a shift is one edit: "b c a" vs "a b c" is 1/3, plain Levenshtein would say 2', () => {
    expect(sentenceTer('b c a', ['a b c'])).toEqual({ score: 1 / 3, edits: 1, refLength: 3 });
  });
});

describe("tercom's beam (width 20) is kept, even where it misses the cheapest alignment", () => {
  const junk = (n: number): string => Array.from({ length: n }, (_, k) => `j${k}`).join(' ');
  it.each([
    // 25 leading reference words to delete: the all-deletion path leaves the beam, tercom finds 30 (true cost 25)
    ['a b c d e', `${junk(25)} a b c d e`, 30, 30],
    ['a b c d e', `${junk(21)} a b c d e`, 21, 26], // 21 deletions stay inside the beam
    ['a b c', `${junk(22)} a b c`, 25, 25], // true cost 22
  ])('%s | %s', (hyp, ref, edits, refLength) => {
    const r = sentenceTer(hyp, [ref]);
    expect(r.edits).toBe(edits);
    expect(r.refLength).toBe(refLength);
  });
});

/** Generated cases (7-word vocabulary, block moves, 1 to 3 references): [hyp, refs, tercom edits, tercom length]. */
const GENERATED: [string, string[], number, number][] = [
  ["a a f c b b b f a f f e a e", ["a a f c b b b f a f f e a e", "a a f b b b f a f f e a e"], 0, 13.5],
  ["g e d b d c e g g a g g b f", ["f e d b d e c g g a g g b f", "f e d d e a c g g a g g b f"], 2, 14.0],
  ["e c c f a d a e e g c", ["e a d a e c g f e g c", "f e a d a e c g f e g c", "e g a d a e c g f e g c"], 4, 11.666666666666666],
  ["c b f f c f a e", ["c b f c f f f a e", "c b f b c f f f a e", "c b f c f f a"], 2, 8.666666666666666],
  ["f f d d f d b c b b c b f", ["f c b f d d f d b c b b f", "f c b d d f d b b f", "f g c b f d d f d b c b b f"], 1, 12.333333333333334],
  ["d e a d e d a d e f c e g f", ["d e a d d e d e c e g a f f"], 3, 14.0],
  ["e g b a g f e", ["e g b e a g f c", "e e g c b e a g f g c", "e b e a b g f c"], 2, 9.0],
  ["d e f e b", ["b f d e b c", "b d b c f", "b f d e c c"], 3, 5.666666666666667],
  ["a b a b a c f d g c a e b e", ["a b a a g c a e b c f d b e"], 2, 14.0],
  ["g d c d d d g f f f f a a g", ["d c d d d g f a f f f a a d", "d b c d d d g f f f f a a d", "d c d g f a f f f a a d"], 3, 13.333333333333334],
  ["b d d g b g d", ["b d d d b g d"], 1, 7.0],
  ["e f d f f a f", ["d f f g e f f d"], 4, 8.0],
  ["g a e a g b a e a e b f", ["g e b a e a g b a e a f"], 1, 12.0],
  ["f c f c e e e b f c", ["f e e e c c b f f c"], 2, 10.0],
  ["e e a a e c b e b c a", ["e e a a e b e c b c a"], 1, 11.0],
  ["c f c g e a b c a a f b c", ["g e c f a b c a a f e b c c", "g e c f f a b c a a f e b c c", "g f e c f a b c a d a f e b c"], 3, 14.666666666666666],
  ["e a c a g f b e a", ["e a a a f b e a g c", "c e a a f b a g c", "e a a a f b e a g c a"], 3, 10.0],
  ["g g g g b c f b g f", ["g f g f g b c b g f"], 2, 10.0],
  ["f b a d c c g", ["a f b d c c g"], 1, 7.0],
  ["c a a e d g c a d e e c f", ["c a a e d c f g c d e e a", "e a a e d c f g f c d e e a"], 2, 13.5],
  ["e c f c d c d", ["e c f d c d f c", "e c f d c d c", "e c e f c d c e d f c"], 1, 8.666666666666666],
  ["g b f f a d g c e f e", ["d g g f b f a c e f f e", "d g g f b f a c e f f e b"], 3, 12.5],
  ["a g d b f f d b f f d", ["b f f d d d b b f f a g g"], 5, 13.0],
  ["e e e c e d g d g e e d g f", ["e e e c g d e g f e d g e d"], 3, 14.0],
  ["c b c c d a f c", ["d a f c b c c c", "d a f b c c c", "d a f a c c c c"], 1, 7.666666666666667],
  ["c e g d g d f", ["c g d g g d e f f", "c g d g g e f f", "c g d g g d f f f e"], 3, 9.0],
  ["b c d c c g d c g g", ["c b d c c g d c g g", "c c b d c c g d a c g g"], 1, 11.0],
  ["g a b b e b d", ["g a e b b b d", "g a e d b b b d", "g a b b d a"], 1, 7.0],
  ["e b f d d f e a", ["e f d d f b a e", "c e g f d d b a e", "e f d f e"], 2, 7.333333333333333],
  ["e g f e g f c e g d d d", ["f c e g e g d d d g f e", "f c c g e g e g d d d g f e"], 2, 13.0],
  ["b f c g c e c c d e", ["b c g c c c e f c e a", "b c g c c c f c e a", "b c g f c c c e f c e"], 4, 10.666666666666666],
  ["c e c a b c d f g c c c", ["c d f e c c f d c c c b"], 5, 12.0],
  ["f b c b c b a e", ["b c b c a f e b", "b c b c a f e b c"], 2, 8.5],
  ["a c g", ["c g d a"], 2, 4.0],
  ["e g e d e", ["e g d e e", "e g d d e e", "e g e d e"], 0, 5.333333333333333],
  ["a a f e d c a c c b d", ["a b a d d f e d c a b c", "a b a d g d f e a d c a b c", "a b d d f e d a b c b"], 4, 12.333333333333334],
  ["f d d e c a e d", ["f d c e e d d a", "f d c e e e d d a", "g f d c e d d a"], 3, 8.333333333333334],
  ["c d c c f a g b c d f", ["c d c c f a g b c d f", "d c d c c f a g g b c d f"], 0, 12.0],
  ["g d g d a f g e d a", ["g e g a f g e d d a"], 2, 10.0],
  ["f e g b", ["f e g b", "e g b", "d d f g b"], 0, 4.0],
];

describe('generated cases with many shifts, as tercom scored them', () => {
  it('per segment', () => {
    for (const [hyp, refs, edits, refLength] of GENERATED) {
      const r = sentenceTer(hyp, refs);
      expect([hyp, r.edits, r.refLength]).toEqual([hyp, edits, refLength]);
    }
  });
  it('corpus: tercom printed 86 / 409.66666666666663', () => {
    const r = corpusTer(GENERATED.map((g) => g[0]), GENERATED.map((g) => g[1]));
    expect(r.edits).toBe(86);
    expect(r.refLength).toBe(409.66666666666663);
    expect(r.score).toBe(0.20992676973148902);
  });
});

describe('text handling as tercom (Java) does it', () => {
  it('only Java whitespace separates words; other Unicode spaces are part of a word', () => {
    // U+00A0 is whitespace to JavaScript but not to Java's \s: "a\u00a0b" is one word to tercom
    expect(sentenceTer('a\u00a0b', ['a b']).edits).toBe(2);
    expect(sentenceTer('a\tb\x0Bc\fd', ['a b c d']).edits).toBe(0);
  });
  it('hypotheses and references are trimmed as tercom reads them; empty references are dropped', () => {
    expect(sentenceTer('  a b \r', [' a b', '', '   '])).toEqual({ score: 0, edits: 0, refLength: 2 });
  });
  it('case folding applies to the whole text before tokenising', () => {
    expect(sentenceTer('NEW York', ['new york']).edits).toBe(0);
    expect(sentenceTer('NEW York', ['new york'], { lowercase: false }).edits).toBe(2);
  });
});

describe('parseTercomTrans', () => {
  it('reads "text (id)" lines: the id is the last parenthesised group; text keeps inner parentheses', () => {
    const text = 'ardmore airport ( new zealand ) runway (id1)\r\n\n  \t\nsecond  line\t(id 2)  \r(id3)\n';
    expect(parseTercomTrans(text)).toEqual([
      { id: 'id1', text: 'ardmore airport ( new zealand ) runway' },
      { id: 'id 2', text: 'second  line' },
      { id: 'id3', text: '' },
    ]);
  });
  it('a line without an id is an error naming the line, or skipped on request (tercom warns and skips)', () => {
    const text = 'a (id1)\nno id here\nb (id2)\n';
    expect(() => parseTercomTrans(text, { source: 'refs.ter' })).toThrow(TercomTransFormatError);
    expect(() => parseTercomTrans(text, { source: 'refs.ter' })).toThrow(/refs\.ter, line 2/);
    expect(parseTercomTrans(text, { onInvalidLine: 'skip' }).map((e) => e.id)).toEqual(['id1', 'id2']);
  });
  it('pairs as tercom: first hypothesis of an id, "seg:rank" ids use the references of "seg"', () => {
    const hyp = 'b c a (s1:1)\nx x x (s1:1)\na b (s2)\n';
    const ref = 'a b c (s1)\na b (s2)\na b c d (s2)\n';
    // s1: 1 edit / 3, s2: 0 edits / mean(2, 4)
    expect(corpusTerFromTrans(hyp, ref)).toEqual({ score: 1 / 6, edits: 1, refLength: 6 });
  });
  it('an empty reference line counts as a reference of length 0 (as tercom reads it)', () => {
    expect(corpusTerFromTrans('a b (s1)\n', 'a b (s1)\n (s1)\n')).toEqual({ score: 0, edits: 0, refLength: 1 });
  });
});
