import { describe, expect, it } from 'vitest';
import { lmLossChunkRows, lmLossChunks } from '../src/index.js';

describe('the default row chunks of the LM loss', () => {
  it('cover every row once, in order, none over 9/8 of the target, sizes within one of each other', () => {
    for (const vocab of [50257, 49152, 128256, 300]) {
      const target = lmLossChunkRows(vocab);
      for (const rows of [1, 7, target, target + 1, Math.floor((target * 9) / 8) + 1, 1016, 2040, 4 * target + 17, 10000]) {
        const chunks = lmLossChunks(rows, vocab);
        let next = 0;
        for (const [start, r] of chunks) {
          expect(start).toBe(next);
          expect(r).toBeGreaterThan(0);
          expect(r).toBeLessThanOrEqual(Math.floor((target * 9) / 8));
          next += r;
        }
        expect(next).toBe(rows);
        const sizes = chunks.map(([, r]) => r);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // no more chunks than the target alone would take
        expect(chunks.length).toBeLessThanOrEqual(Math.ceil(rows / target));
      }
    }
  });

  it('takes GPT-2 at B 8 × T 128 in three chunks of ~339 rows, not 333, 333, 333 and 17', () => {
    expect(lmLossChunkRows(50257)).toBe(333);
    expect(lmLossChunks(8 * 127, 50257)).toEqual([[0, 339], [339, 339], [678, 338]]);
    // SmolLM2's vocabulary at B 8 × T 256: six chunks of 340, as the target already gave (341 × 5 + 335)
    expect(lmLossChunks(8 * 255, 49152).map(([, r]) => r)).toEqual([340, 340, 340, 340, 340, 340]);
  });
});
