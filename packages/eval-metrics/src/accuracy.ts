// Classification accuracy (the GLUE metric for MNLI and SST-2) and the MNLI matched / mismatched pair.

import { MetricsInputError } from './bleu/errors.js';

export interface AccuracyResult {
  /** correct / total, in [0, 1]; 0 for an empty set. */
  accuracy: number;
  correct: number;
  total: number;
}

/** Fraction of positions where prediction === label. Both arrays must have the same length. */
export function accuracy<T extends string | number | boolean>(
  predictions: readonly T[],
  labels: readonly T[],
): AccuracyResult {
  if (predictions.length !== labels.length) {
    throw new MetricsInputError(
      'INVALID_ARGUMENT',
      `accuracy: ${predictions.length} predictions but ${labels.length} labels`,
    );
  }
  let correct = 0;
  predictions.forEach((prediction, i) => {
    if (prediction === labels[i]) correct += 1;
  });
  return { accuracy: predictions.length ? correct / predictions.length : 0, correct, total: predictions.length };
}

export interface LabelledSet<T> {
  predictions: readonly T[];
  labels: readonly T[];
}

export interface MnliAccuracy {
  matched: AccuracyResult;
  mismatched: AccuracyResult;
  /** Unweighted mean of the two accuracies (the "m/mm" average papers quote). */
  average: number;
}

/** MNLI accuracy on the matched (dev_matched) and mismatched (dev_mismatched) sets. */
export function mnliAccuracy<T extends string | number | boolean>(
  matched: LabelledSet<T>,
  mismatched: LabelledSet<T>,
): MnliAccuracy {
  const m = accuracy(matched.predictions, matched.labels);
  const mm = accuracy(mismatched.predictions, mismatched.labels);
  return { matched: m, mismatched: mm, average: (m.accuracy + mm.accuracy) / 2 };
}
