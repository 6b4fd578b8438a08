import { describe, expect, it } from 'vitest';
import { accuracy, mnliAccuracy } from '../src/accuracy.js';
import { MetricsInputError } from '../src/bleu/index.js';

describe('accuracy', () => {
  it('counts exact label matches', () => {
    expect(accuracy([1, 0, 1, 1], [1, 1, 1, 0])).toEqual({ accuracy: 0.5, correct: 2, total: 4 });
    expect(accuracy(['entailment', 'neutral'], ['entailment', 'neutral']).accuracy).toBe(1);
    expect(accuracy([], []).accuracy).toBe(0);
  });

  it('rejects sets of different sizes', () => {
    expect(() => accuracy([1, 2], [1])).toThrow(MetricsInputError);
  });

  it('MNLI: matched and mismatched separately, and their plain mean', () => {
    const result = mnliAccuracy(
      { predictions: [0, 1, 2, 2], labels: [0, 1, 2, 0] },
      { predictions: [1, 1, 0], labels: [1, 0, 0] },
    );
    expect(result.matched).toEqual({ accuracy: 0.75, correct: 3, total: 4 });
    expect(result.mismatched.correct).toBe(2);
    expect(result.mismatched.accuracy).toBeCloseTo(2 / 3, 15);
    expect(result.average).toBeCloseTo((0.75 + 2 / 3) / 2, 15);
  });
});
