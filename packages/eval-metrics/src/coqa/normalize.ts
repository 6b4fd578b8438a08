// Answer normalisation and per-answer EM / F1 as the official CoQA evaluate-v1.0.py (SQuAD 2.0 lineage).

import { PY_WORD_CLASS, pyLower, pySplit } from '../bleu/python-text.js';

/** Python's string.punctuation. */
const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** re.sub(r'\b(a|an|the)\b', ' ', text, flags=re.UNICODE): word boundaries use Python's Unicode \w. */
const ARTICLE = new RegExp(`(?<![${PY_WORD_CLASS}])(?:a|an|the)(?![${PY_WORD_CLASS}])`, 'gu');

/** lower -> drop ASCII punctuation -> articles to a space -> collapse whitespace. */
export function normalizeAnswer(s: string): string {
  const lowered = pyLower(s);
  const noPunctuation = lowered.replace(ASCII_PUNCTUATION, '');
  const noArticles = noPunctuation.replace(ARTICLE, ' ');
  return pySplit(noArticles).join(' ');
}

/** The script's get_tokens: '' -> [], otherwise the normalised answer split on whitespace. */
export function answerTokens(s: string): string[] {
  if (!s) return [];
  return pySplit(normalizeAnswer(s));
}

export function exactMatch(gold: string, pred: string): number {
  return normalizeAnswer(gold) === normalizeAnswer(pred) ? 1 : 0;
}

export function tokenF1(gold: string, pred: string): number {
  const goldTokens = answerTokens(gold);
  const predTokens = answerTokens(pred);
  if (goldTokens.length === 0 || predTokens.length === 0) {
    // If either is no-answer, F1 is 1 when they agree, 0 otherwise.
    return goldTokens.length === predTokens.length ? 1 : 0;
  }
  const goldCounts = new Map<string, number>();
  for (const token of goldTokens) goldCounts.set(token, (goldCounts.get(token) ?? 0) + 1);
  const predCounts = new Map<string, number>();
  for (const token of predTokens) predCounts.set(token, (predCounts.get(token) ?? 0) + 1);
  let numSame = 0;
  for (const [token, count] of predCounts) numSame += Math.min(count, goldCounts.get(token) ?? 0);
  if (numSame === 0) return 0;
  const precision = (1.0 * numSame) / predTokens.length;
  const recall = (1.0 * numSame) / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * One turn's EM / F1 against its gold answers: with several golds, the average over leave-one-out maxima;
 * with one, the plain max.
 */
export function turnScore(goldAnswers: readonly string[], pred: string): { em: number; f1: number } {
  let emSum = 0;
  let f1Sum = 0;
  if (goldAnswers.length > 1) {
    for (let i = 0; i < goldAnswers.length; i++) {
      const others = [...goldAnswers.slice(0, i), ...goldAnswers.slice(i + 1)];
      emSum += Math.max(...others.map((gold) => exactMatch(gold, pred)));
      f1Sum += Math.max(...others.map((gold) => tokenF1(gold, pred)));
    }
  } else {
    emSum += Math.max(...goldAnswers.map((gold) => exactMatch(gold, pred)));
    f1Sum += Math.max(...goldAnswers.map((gold) => tokenF1(gold, pred)));
  }
  const denominator = Math.max(1, goldAnswers.length);
  return { em: emSum / denominator, f1: f1Sum / denominator };
}
