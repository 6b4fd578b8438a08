import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  formatFixed,
  formatMultiBleu,
  multiBleu,
  pyRound,
  sacreBleu,
  tokenize13a,
  type BleuResult,
} from '../src/bleu/index.js';
import { haveSharedData, SHARED_DATA } from '../../../test/shared-data.js';

const METRIC_CHECK = `${SHARED_DATA}/metric-check/webnlg`;

function lines(path: string): string[] {
  const all = readFileSync(path, 'utf8').split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

/** refs[i] = line i of every reference file, as multi-bleu.perl reads ref0 ref1 ... */
function parallel(refFiles: string[]): (hyps: string[]) => string[][] {
  const columns = refFiles.map(lines);
  return (hyps) => hyps.map((_, i) => columns.map((column) => column[i]!));
}

const haveData = haveSharedData('metric-check/webnlg');

// the metric-check and WebNLG files of ../shared/data (PEFT_DATA): off CI a clone with nothing beside it skips these
describe.runIf(haveData)('multi-bleu.perl -lc: figures printed by the official script (Moses multi-bleu.perl, DART copy, Perl 5.36)', () => {
  // Each expected line was printed by `multi-bleu.perl -lc ref0.tok.lex [ref1 ref2] < hyp.tok.txt` on these files.
  const cases: [string, string[], string][] = [
    [
      'set1_perturbed_multiref',
      ['ref0.tok.lex', 'ref1.tok.lex', 'ref2.tok.lex'],
      'BLEU = 72.78, 100.0/82.2/72.0/64.6 (BP=0.925, ratio=0.928, hyp_len=904, ref_len=974)',
    ],
    [
      'set2_other_reference_multiref',
      ['ref0.tok.lex', 'ref1.tok.lex', 'ref2.tok.lex'],
      'BLEU = 77.60, 84.7/76.2/75.0/74.9 (BP=1.000, ratio=1.021, hyp_len=1170, ref_len=1146)',
    ],
    [
      'set3_single_reference_mixed',
      ['ref0.tok.lex'],
      'BLEU = 65.07, 98.4/91.3/88.1/86.5 (BP=0.715, ratio=0.749, hyp_len=1024, ref_len=1367)',
    ],
  ];
  for (const [set, refFiles, expected] of cases) {
    it(set, () => {
      const hyps = lines(`${METRIC_CHECK}/${set}/hyp.tok.txt`);
      const refs = parallel(refFiles.map((f) => `${METRIC_CHECK}/${set}/${f}`))(hyps);
      const result = multiBleu(hyps, refs, { lowercase: true });
      expect(formatMultiBleu(result)).toBe(expected);
    });
  }
});

describe('multi-bleu.perl: hand-made cases, each line printed by the Perl script', () => {
  const run = (hyps: string[], refs: string[][], lowercase = true) => formatMultiBleu(multiBleu(hyps, refs, { lowercase }));

  it('a blank reference line is an empty reference that competes for the closest length; ties go to the shorter', () => {
    const result = multiBleu(
      ['the cat sat on the mat', 'a b c d'],
      [
        ['the cat is on the mat', ''],
        ['a b c d e', 'a b c'],
      ],
      { lowercase: true },
    );
    // segment 1: lengths 6 and 0 -> 6; segment 2: 5 and 3 are both 1 away -> 3.
    expect(result.refLen).toBe(9);
    expect(result.hypLen).toBe(10);
    expect(result.correct).toEqual([9, 6, 3, 1]);
    expect(result.total).toEqual([10, 8, 6, 4]);
    expect(formatMultiBleu(result)).toBe(
      'BLEU = 53.90, 90.0/75.0/50.0/25.0 (BP=1.000, ratio=1.111, hyp_len=10, ref_len=9)',
    );
    // 100 * (0.9 * 0.75 * 0.5 * 0.25)^(1/4), BP = 1
    expect(result.score).toBeCloseTo(100 * Math.pow(0.9 * 0.75 * 0.5 * 0.25, 0.25), 12);
  });

  it('no 4-gram in the hypothesis: precision 0 and BLEU exactly 0', () => {
    const result = multiBleu(['a b c'], [['a b c']], { lowercase: true });
    expect(result.score).toBe(0);
    expect(formatMultiBleu(result)).toBe(
      'BLEU = 0.00, 100.0/100.0/100.0/0.0 (BP=1.000, ratio=1.000, hyp_len=3, ref_len=3)',
    );
  });

  it('-lc lowercases ASCII only (Perl lc on bytes): É and é stay different', () => {
    expect(run(['The Cat É sat down'], [['the cat é sat down']])).toBe(
      'BLEU = 0.00, 80.0/50.0/0.0/0.0 (BP=1.000, ratio=1.000, hyp_len=5, ref_len=5)',
    );
    expect(run(['The Cat É sat down'], [['the cat é sat down']], false)).toBe(
      'BLEU = 0.00, 40.0/25.0/0.0/0.0 (BP=1.000, ratio=1.000, hyp_len=5, ref_len=5)',
    );
  });

  it('printf rounding: 6.25 prints as 6.2 (exact tie to even), not 6.3', () => {
    const hyp = 'x1 x2 x3 x4 x5 x6 x7 x8 x9 x10 x11 x12 x13 x14 x15 a';
    const result = multiBleu([hyp], [['a b c d e f g h i j k l m n o p']], { lowercase: true });
    expect(result.precisions[0]).toBe(6.25);
    expect(formatMultiBleu(result)).toBe(
      'BLEU = 0.00, 6.2/0.0/0.0/0.0 (BP=1.000, ratio=1.000, hyp_len=16, ref_len=16)',
    );
  });

  it('brevity penalty and tabs / repeated spaces as separators', () => {
    expect(
      run(
        ['a b c d e f g h i j k l m n o p', 'q r s t'],
        [['a b c d e f g h x j k l m n o p'], ['q r s t u v w']],
      ),
    ).toBe('BLEU = 72.01, 95.0/88.9/81.2/71.4 (BP=0.861, ratio=0.870, hyp_len=20, ref_len=23)');
    expect(run(['a b c d e\tf', '  g h  '], [['a b c d e f'], ['g h i']])).toBe(
      'BLEU = 88.25, 100.0/100.0/100.0/100.0 (BP=0.882, ratio=0.889, hyp_len=8, ref_len=9)',
    );
  });

  it('reference length 0 in total: the script prints its fixed zero line', () => {
    const result = multiBleu(['a'], [['']], { lowercase: true });
    expect(formatMultiBleu(result)).toBe('BLEU = 0, 0/0/0/0 (BP=0, ratio=0, hyp_len=0, ref_len=0)');
    expect(result.score).toBe(0);
  });

  it('a segment with no reference at all adds 9999 to the reference length, as the script does', () => {
    const result = multiBleu(['a b'], [[]], { lowercase: true });
    expect(result.refLen).toBe(9999);
    expect(result.hypLen).toBe(2);
  });
});

describe('sacreBLEU 2.6 corpus BLEU (expected values computed by sacrebleu.metrics.BLEU)', () => {
  const hyps = ["The cat sat on the mat.", "It's 3.5 km, isn't it?", 'Hello world&amp;co'];
  const refs = [
    ['The cat is on the mat.', 'A cat sat on a mat!'],
    ['It is 3.5 km, is it not?', "It's 3.5 km - isn't it?"],
    ['hello world & co', 'Hello, world&co'],
  ];
  const expectStats = (r: BleuResult, counts: number[], totals: number[], hypLen: number, refLen: number) => {
    expect(r.correct).toEqual(counts);
    expect(r.total).toEqual(totals);
    expect([r.hypLen, r.refLen]).toEqual([hypLen, refLen]);
  };

  it("tokenize '13a', smooth 'exp' and 'none', cased and lowercased", () => {
    const cased = sacreBleu(hyps, refs, { tokenize: '13a', smooth: 'exp' });
    expectStats(cased, [18, 13, 7, 1], [18, 15, 12, 9], 18, 18);
    expect(cased.score).toBeCloseTo(48.683477698863356, 10);
    expect(sacreBleu(hyps, refs, { tokenize: '13a', smooth: 'none' }).score).toBeCloseTo(48.683477698863356, 10);
    const lower = sacreBleu(hyps, refs, { tokenize: '13a', smooth: 'exp', lowercase: true });
    expectStats(lower, [18, 14, 8, 2], [18, 15, 12, 9], 18, 18);
    expect(lower.score).toBeCloseTo(60.97941461524632, 10);
  });

  it("tokenize 'none': a zero 4-gram precision is 0 without smoothing, 100/(2*total) with 'exp'", () => {
    const exp = sacreBleu(hyps, refs, { tokenize: 'none', smooth: 'exp' });
    expectStats(exp, [11, 8, 2, 0], [13, 10, 7, 5], 13, 14);
    expect(exp.precisions[3]).toBe(100 / (2 * 5));
    expect(exp.bp).toBeCloseTo(0.925961078642316, 14);
    expect(exp.score).toBeCloseTo(34.531110961796806, 10);
    expect(sacreBleu(hyps, refs, { tokenize: 'none', smooth: 'none' }).score).toBe(0);
    expect(sacreBleu(hyps, refs, { tokenize: 'none', smooth: 'exp', lowercase: true }).score).toBeCloseTo(
      35.290490225919,
      10,
    );
  });

  it("'exp' doubles the divisor for each further zero order; an order with no n-grams stops the loop", () => {
    const smoothed = sacreBleu(['a b c d e'], [['a b x d y']], { smooth: 'exp' });
    expect(smoothed.precisions).toEqual([60, 25, 100 / (2 * 3), 100 / (4 * 2)]);
    expect(smoothed.score).toBeCloseTo(23.643540225079384, 10);
    expect(sacreBleu(['a b c d e'], [['a b x d y']], { smooth: 'none' }).score).toBe(0);
    const short = sacreBleu(['a b'], [['a b']], { smooth: 'exp' });
    expect(short.precisions).toEqual([100, 100, 0, 0]);
    expect(short.score).toBe(0);
  });

  it('13a tokenizer on punctuation, numbers, entities and <skipped> (outputs of sacrebleu Tokenizer13a)', () => {
    expect(tokenize13a("It's 3.5 km, isn't it?")).toBe("It's 3.5 km , isn't it ?");
    expect(tokenize13a('a-b 1-2 x.y 1,000.5 <skipped>end -\nq &quot;q&quot;')).toBe('a-b 1 - 2 x . y 1,000.5 end q " q "');
    expect(tokenize13a('({[x]})~`|^_')).toBe('( { [ x ] } ) ~ ` | ^ _');
  });

  it('agrees with multi-bleu.perl on pre-tokenized lowercase text when no precision is zero', () => {
    const hypsTok = ['the cat sat on the mat', 'a b c d'];
    const refsTok = [['the cat is on the mat', 'a cat sat on the mat'], ['a b c d e', 'a b c']];
    const perl = multiBleu(hypsTok, refsTok);
    const sacre = sacreBleu(hypsTok, refsTok, { tokenize: 'none', smooth: 'none' });
    expect(sacre.correct).toEqual(perl.correct);
    expect(sacre.total).toEqual(perl.total);
    expect(sacre.score).toBeCloseTo(perl.score, 12);
  });
});

describe('printf / Python round on the exact binary value', () => {
  it('ties to even only when the double is exactly half-way', () => {
    expect(formatFixed(6.25, 1)).toBe('6.2');
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(2.675, 2)).toBe('2.67'); // 2.67499999... in binary
    expect(formatFixed(1.005, 2)).toBe('1.00');
    expect(formatFixed(99.995, 2)).toBe('100.00'); // 99.99500000000000454...
    expect(formatFixed(0.5, 0)).toBe('0');
    expect(formatFixed(1.5, 0)).toBe('2');
    expect(formatFixed(-0.001, 2)).toBe('-0.00');
    expect(pyRound(62.45, 1)).toBe(62.5);
    expect(pyRound(6.25, 1)).toBe(6.2);
  });
});
