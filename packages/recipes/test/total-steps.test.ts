import { describe, expect, it } from 'vitest';
import { totalTrainingSteps } from '../src/train/data-order.js';

describe('totalTrainingSteps (the loop and the command share it)', () => {
  it('is ⌈⌈n / B⌉ / accumulation⌉ per epoch, times epochs, at most maxSteps', () => {
    // 10 examples in batches of 3: 4 micro-batches an epoch, 2 optimizer steps with accumulation 2
    expect(totalTrainingSteps({ examples: 10, batchSize: 3, gradAccumulation: 2, epochs: 3 })).toBe(6);
    expect(totalTrainingSteps({ examples: 10, batchSize: 3, gradAccumulation: 2, epochs: 3, maxSteps: 5 })).toBe(5);
    expect(totalTrainingSteps({ examples: 10, batchSize: 3, epochs: 2 })).toBe(8);
    // accumulation over more micro-batches than an epoch has: one step an epoch
    expect(totalTrainingSteps({ examples: 4, batchSize: 4, gradAccumulation: 8, epochs: 5 })).toBe(5);
  });
});
