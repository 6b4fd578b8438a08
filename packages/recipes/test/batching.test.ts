import { describe, expect, it } from 'vitest';
import { epochBatches, epochPermutation, lmSplit, padLmBatch, classifierSplit, sequentialBatches } from '../src/index.js';

const ex = (n: number, labelFrom: number) => ({
  inputIds: Array.from({ length: n }, (_, i) => 10 + i),
  tokenTypeIds: Array.from({ length: n }, () => 7),
  labels: Array.from({ length: n }, (_, i) => (i >= labelFrom ? 10 + i : -100)),
});

describe('padding and batches', () => {
  it('pads ids and types with <pad>, labels with −100, and counts the shifted labels', () => {
    const b = padLmBatch([ex(3, 1), ex(1, 0)], 99, 4);
    expect(b.length).toBe(4);
    expect([...b.inputIds]).toEqual([10, 11, 12, 99, 10, 99, 99, 99]);
    expect([...b.tokenTypeIds]).toEqual([7, 7, 7, 99, 7, 99, 99, 99]);
    expect([...b.labels]).toEqual([-100, 11, 12, -100, 10, -100, -100, -100]);
    expect(b.labelCount).toBe(2); // position 0's label is never predicted
  });

  it("global padding uses the split's longest sequence; batch padding each batch's own", () => {
    const xs = [ex(2, 1), ex(5, 1), ex(3, 1)];
    expect(lmSplit(xs, 0, 'global').batch([0, 2]).length).toBe(5);
    expect(lmSplit(xs, 0, 'batch').batch([0, 2]).length).toBe(3);
    const c = classifierSplit([{ inputIds: [0, 5, 2], attentionMask: [1, 1, 1], label: 1 }, { inputIds: [0, 2], attentionMask: [1, 1], label: 0 }], 1, 'global').batch([1]);
    expect([...c.inputIds]).toEqual([0, 2, 1]);
    expect([...c.attentionMask]).toEqual([1, 1, 0]);
    expect([...c.labels]).toEqual([0]);
  });

  it('epoch order: a permutation fixed by (seed, epoch), different across epochs; the last batch may be short', () => {
    const p = epochPermutation(10, 3, 0);
    expect([...p].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epochPermutation(10, 3, 0)).toEqual(p);
    expect(epochPermutation(10, 3, 1)).not.toEqual(p);
    expect(epochPermutation(10, 4, 0)).not.toEqual(p);
    const b = epochBatches(10, 4, 3, 0);
    expect(b.map((x) => x.length)).toEqual([4, 4, 2]);
    expect(b.flat()).toEqual(p);
    expect(sequentialBatches(5, 2)).toEqual([[0, 1], [2, 3], [4]]);
  });
});
