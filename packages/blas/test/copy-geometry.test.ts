import { reduceGeometry, simplifyCopy, splitCopies, tileCopy } from '@peft/blas';
import { describe, expect, it } from 'vitest';

describe('strided-copy geometry', () => {
  it('tile: repeats become zero source strides; contiguous axes merge', () => {
    // [2, 3] tiled [2, 1]: the whole 6-element block twice
    expect(tileCopy([2, 3], [2, 1])).toEqual({ shape: [2, 6], srcOffset: 0, srcStrides: [0, 1], dstOffset: 0, dstStrides: [6, 1] });
    // [2, 3] tiled [1, 2]: each row written twice side by side
    expect(tileCopy([2, 3], [1, 2])).toEqual({ shape: [2, 2, 3], srcOffset: 0, srcStrides: [3, 0, 1], dstOffset: 0, dstStrides: [6, 3, 1] });
    // no repetition at all: one contiguous run
    expect(tileCopy([2, 3, 4], [1, 1, 1])).toEqual({ shape: [24], srcOffset: 0, srcStrides: [1], dstOffset: 0, dstStrides: [1] });
  });

  it('split: one copy per piece starting at its offset along the axis', () => {
    const [a, b] = splitCopies([4, 6], [2, 4], 1);
    expect(a).toEqual({ shape: [4, 2], srcOffset: 0, srcStrides: [6, 1], dstOffset: 0, dstStrides: [2, 1] });
    expect(b).toEqual({ shape: [4, 4], srcOffset: 2, srcStrides: [6, 1], dstOffset: 0, dstStrides: [4, 1] });
    // along the first axis each piece is one contiguous run
    expect(splitCopies([4, 6], [1, 3], 0).map((c) => [c.shape, c.srcOffset])).toEqual([[[6], 0], [[18], 6]]);
  });

  it('simplify drops size-1 axes and keeps a scalar box', () => {
    expect(simplifyCopy({ shape: [1, 5, 1], srcOffset: 3, srcStrides: [9, 2, 1], dstOffset: 0, dstStrides: [5, 1, 1] })).toEqual({
      shape: [5], srcOffset: 3, srcStrides: [2], dstOffset: 0, dstStrides: [1],
    });
    expect(simplifyCopy({ shape: [1, 1], srcOffset: 4, srcStrides: [1, 1], dstOffset: 0, dstStrides: [1, 1] }).shape).toEqual([1]);
  });

  it('reductions: leading or trailing axes as rows or columns of a matrix, others declined', () => {
    expect(reduceGeometry([8, 128, 768], [2])).toEqual({ outer: 1024, inner: 768, columns: false, outShape: [8, 128] });
    expect(reduceGeometry([1024, 768], [0])).toEqual({ outer: 1024, inner: 768, columns: true, outShape: [768] });
    expect(reduceGeometry([2, 3, 4], [0, 1])).toEqual({ outer: 6, inner: 4, columns: true, outShape: [4] });
    expect(reduceGeometry([2, 3, 4], [1])).toBeNull();
    expect(reduceGeometry([2, 3, 4], [0, 2])).toBeNull();
  });
});
