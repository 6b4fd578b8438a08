// Corpus BLEU as sacreBLEU 2.x `BLEU(tokenize, smooth_method, lowercase).corpus_score(hyps, [refs...])`.
//
// Segments are lowercased (optional), right-stripped and tokenized, then split on Python whitespace. Closest
// reference length with ties to the shorter; n-gram ceilings are the max over references ('' references count).
// No match at all -> 0. Otherwise precisions in percent; a zero precision is 0 ('none') or 100 / (2^k * total)
// for the k-th zero ('exp', the mteval NIST smoothing); an order with no hypothesis n-grams stops the loop and
// leaves its precision 0; log(0) floors at -9999999999.

import { MetricsInputError } from './errors.js';
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
import { pyLower, pyRstrip, pySplit } from './python-text.js';
import { tokenize13a } from './tokenize-13a.js';

export type SacreBleuTokenizer = 'none' | '13a';
export type SacreBleuSmoothing = 'none' | 'exp';

export interface SacreBleuOptions {
  /** Default '13a', as sacreBLEU. */
  tokenize?: SacreBleuTokenizer;
  /** Default 'exp', as sacreBLEU's corpus BLEU. */
  smooth?: SacreBleuSmoothing;
  /** Default false. */
  lowercase?: boolean;
}

function segmentTokens(text: string, options: SacreBleuOptions): string[] {
  const cased = options.lowercase ? pyLower(text) : text;
  const stripped = pyRstrip(cased);
  const tokenized = (options.tokenize ?? '13a') === '13a' ? tokenize13a(stripped) : stripped;
  return pySplit(tokenized);
}

export function sacreBleuStats(
  hyps: readonly string[],
  refs: readonly (readonly string[])[],
  options: SacreBleuOptions = {},
): BleuStats {
  const stats = emptyStats();
  hyps.forEach((hyp, i) => {
    const segmentRefs = refs[i];
    if (segmentRefs === undefined || segmentRefs.length === 0) {
      throw new MetricsInputError('INVALID_ARGUMENT', `sacreBleu: segment ${i + 1} has no reference`);
    }
    const hypTokens = segmentTokens(hyp, options);
    const refTokens = segmentRefs.map((ref) => segmentTokens(ref, options));
    stats.hypLen += hypTokens.length;
    stats.refLen += closestRefLength(
      hypTokens.length,
      refTokens.map((tokens) => tokens.length),
      Number.POSITIVE_INFINITY,
      -1,
    );
    addSegmentMatches(stats, hypTokens, maxReferenceCounts(refTokens));
  });
  return stats;
}

export function sacreBleuFromStats(stats: BleuStats, smooth: SacreBleuSmoothing = 'exp'): BleuResult {
  const { hypLen, refLen, correct, total } = stats;
  const bp = hypLen < refLen ? (hypLen > 0 ? Math.exp(1 - refLen / hypLen) : 0) : 1;
  const ratio = refLen ? hypLen / refLen : 0;
  const precisions = [0, 0, 0, 0];
  if (!correct.some((c) => c !== 0)) {
    return { score: 0, precisions, bp, ratio, hypLen, refLen, correct, total };
  }
  let smoothMteval = 1;
  for (let n = 0; n < MAX_NGRAM_ORDER; n++) {
    if (total[n] === 0) break;
    if (correct[n] === 0) {
      if (smooth === 'exp') {
        smoothMteval *= 2;
        precisions[n] = 100 / (smoothMteval * total[n]!);
      }
    } else {
      precisions[n] = (100 * correct[n]!) / total[n]!;
    }
  }
  let logSum = 0;
  for (const p of precisions) logSum += flooredLog(p);
  const score = bp * Math.exp(logSum / MAX_NGRAM_ORDER);
  return { score, precisions, bp, ratio, hypLen, refLen, correct, total };
}

/** Corpus BLEU as sacreBLEU. refs[i] = the references of segment i. Scores are percentages. */
export function sacreBleu(
  hyps: readonly string[],
  refs: readonly (readonly string[])[],
  options: SacreBleuOptions = {},
): BleuResult {
  return sacreBleuFromStats(sacreBleuStats(hyps, refs, options), options.smooth ?? 'exp');
}
