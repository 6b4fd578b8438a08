// Corpus BLEU exactly as Moses' scripts/generic/multi-bleu.perl computes and prints it.
//
// Per segment: tokens = Perl `split` on ASCII whitespace; with -lc only A-Z are lowercased (Perl `lc` on bytes).
// Reference n-gram counts are the maximum over the segment's references; every reference, including an empty
// line, competes for the closest length (ties to the shorter); a segment with no reference at all adds 9999.
// Precision n = clipped matches / hypothesis n-grams (0 when there are none); log(0) is floored at -9999999999,
// so any zero precision makes BLEU exactly 0; BP = exp(1 - r/c) when c < r.

import { formatFixed } from './decimal-format.js';
import {
  type BleuResult,
  type BleuStats,
  MAX_NGRAM_ORDER,
  addSegmentMatches,
  closestRefLength,
  emptyStats,
  flooredLog,
  maxReferenceCounts,
} from './ngram-stats.js';
import { MetricsInputError } from './errors.js';

export interface MultiBleuOptions {
  /** The `-lc` flag: lowercase ASCII letters of hypotheses and references. */
  lowercase?: boolean;
}

const PERL_WHITESPACE_RUN = /[ \t\n\v\f\r]+/;

/** Perl's `split ' ', $s` on a byte string: ASCII whitespace, leading empty field dropped. */
function perlSplit(s: string): string[] {
  return s.split(PERL_WHITESPACE_RUN).filter((piece) => piece.length > 0);
}

/** Perl's `lc` on a byte string: only A-Z change. */
function perlLcAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

/** multi-bleu.perl's corpus statistics. refs[i] = the references of segment i ('' = an empty reference line). */
export function multiBleuStats(
  hyps: readonly string[],
  refs: readonly (readonly string[])[],
  options: MultiBleuOptions = {},
): BleuStats {
  if (refs.length < hyps.length) {
    throw new MetricsInputError(
      'INVALID_ARGUMENT',
      `multiBleu: ${hyps.length} hypotheses but references for only ${refs.length} segments`,
    );
  }
  const prepare = options.lowercase ? (s: string) => perlSplit(perlLcAscii(s)) : perlSplit;
  const stats = emptyStats();
  hyps.forEach((hyp, i) => {
    const hypTokens = prepare(hyp);
    const refTokens = refs[i]!.map(prepare);
    stats.hypLen += hypTokens.length;
    stats.refLen += closestRefLength(
      hypTokens.length,
      refTokens.map((tokens) => tokens.length),
      9999,
      9999,
    );
    addSegmentMatches(stats, hypTokens, maxReferenceCounts(refTokens));
  });
  return stats;
}

/** BLEU from multi-bleu.perl's statistics, including its two degenerate exits. */
export function multiBleuFromStats(stats: BleuStats): BleuResult {
  const { hypLen, refLen, correct, total } = stats;
  const fractions = total.map((t, n) => (t ? correct[n]! / t : 0));
  if (refLen === 0) {
    // The script prints "BLEU = 0, 0/0/0/0 (BP=0, ratio=0, hyp_len=0, ref_len=0)" and exits 1.
    return { score: 0, precisions: [0, 0, 0, 0], bp: 0, ratio: 0, hypLen: 0, refLen: 0, correct, total };
  }
  if (hypLen === 0) {
    // The script dies with "Illegal division by zero" here; report the limit (BP -> 0, BLEU = 0).
    return { score: 0, precisions: fractions.map((f) => 100 * f), bp: 0, ratio: 0, hypLen, refLen, correct, total };
  }
  const bp = hypLen < refLen ? Math.exp(1 - refLen / hypLen) : 1;
  let logSum = 0;
  for (let n = 0; n < MAX_NGRAM_ORDER; n++) logSum += flooredLog(fractions[n]!);
  const bleu = bp * Math.exp(logSum / MAX_NGRAM_ORDER);
  return {
    score: 100 * bleu,
    precisions: fractions.map((f) => 100 * f),
    bp,
    ratio: hypLen / refLen,
    hypLen,
    refLen,
    correct,
    total,
  };
}

/** Corpus BLEU as `multi-bleu.perl [-lc] ref0 ref1 ... < hyp`. Scores are percentages. */
export function multiBleu(
  hyps: readonly string[],
  refs: readonly (readonly string[])[],
  options: MultiBleuOptions = {},
): BleuResult {
  return multiBleuFromStats(multiBleuStats(hyps, refs, options));
}

/** The line multi-bleu.perl prints, with its printf rounding (ties to even on the exact binary value). */
export function formatMultiBleu(result: BleuResult): string {
  if (result.refLen === 0) return 'BLEU = 0, 0/0/0/0 (BP=0, ratio=0, hyp_len=0, ref_len=0)';
  const precisions = result.precisions.map((p) => formatFixed(p, 1)).join('/');
  return (
    `BLEU = ${formatFixed(result.score, 2)}, ${precisions} ` +
    `(BP=${formatFixed(result.bp, 3)}, ratio=${formatFixed(result.ratio, 3)}, ` +
    `hyp_len=${result.hypLen}, ref_len=${result.refLen})`
  );
}
