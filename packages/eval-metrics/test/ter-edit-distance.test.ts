// The internals of the TER edit distance: the fast replay (shared prefix + early stop) against full runs, and the
// beamed distance against a textbook Levenshtein where the beam cannot bind.
import { describe, expect, it } from 'vitest';
import { AlignOp, BeamAligner, beamEditDistance } from '../src/ter/edit-distance.js';
import { applyShift } from '../src/ter/shifts.js';

/** Deterministic LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const words = (rand: () => number, n: number, vocab: number): Int32Array =>
  Int32Array.from({ length: n }, () => Math.floor(rand() * vocab));

function levenshtein(a: Int32Array, b: Int32Array): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let j = 1; j <= a.length; j++) {
    const cur = [j];
    for (let i = 1; i <= b.length; i++) {
      cur[i] = Math.min(prev[i]! + 1, cur[i - 1]! + 1, prev[i - 1]! + (a[j - 1] === b[i - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

describe('beamEditDistance', () => {
  it('equals Levenshtein when the beam (20) cannot bind (sequences under 20 words)', () => {
    const rand = rng(7);
    for (let t = 0; t < 300; t++) {
      const hyp = words(rand, 1 + Math.floor(rand() * 18), 5);
      const ref = words(rand, 1 + Math.floor(rand() * 18), 5);
      expect(beamEditDistance(hyp, ref).edits).toBe(levenshtein(hyp, ref));
    }
  });

  it('its path accounts for every word and for the edit count', () => {
    const rand = rng(11);
    for (let t = 0; t < 100; t++) {
      const hyp = words(rand, 1 + Math.floor(rand() * 30), 6);
      const ref = words(rand, 1 + Math.floor(rand() * 30), 6);
      const { edits, path } = beamEditDistance(hyp, ref);
      const count = (op: number): number => path.filter((o) => o === op).length;
      const [m, s, ins, del] = [AlignOp.Match, AlignOp.Substitute, AlignOp.Insert, AlignOp.Delete].map(count);
      expect(m! + s! + ins!).toBe(hyp.length);
      expect(m! + s! + del!).toBe(ref.length);
      expect(s! + ins! + del!).toBe(edits);
    }
  });

  it('keeps tercom\'s beam: 25 leading reference words to delete cost more than 25', () => {
    const ref = Int32Array.from({ length: 30 }, (_, k) => (k < 25 ? 100 + k : k - 25));
    const hyp = Int32Array.from([0, 1, 2, 3, 4]);
    expect(levenshtein(hyp, ref)).toBe(25);
    expect(beamEditDistance(hyp, ref).edits).toBe(30);
  });
});

describe('BeamAligner replay of shifted hypotheses', () => {
  it('gives the count of a full run, or a value above the threshold exactly when the count is above it', () => {
    const rand = rng(3);
    let stopped = 0;
    for (let t = 0; t < 60; t++) {
      const n = 5 + Math.floor(rand() * 40);
      const ref = words(rand, 5 + Math.floor(rand() * 40), 6);
      const base = words(rand, n, 6);
      const aligner = new BeamAligner(ref, n);
      const full = aligner.setBase(base);
      expect(full.edits).toBe(beamEditDistance(base, ref).edits);
      for (let c = 0; c < 40; c++) {
        const start = Math.floor(rand() * n);
        const end = Math.min(n - 1, start + Math.floor(rand() * 4));
        const newloc = Math.floor(rand() * (n + 1)) - 1;
        const shifted = applyShift(base, { start, end, moveto: 0, newloc }, new Int32Array(n));
        const truth = beamEditDistance(shifted, ref).edits;
        expect(aligner.score(shifted)).toBe(truth);
        const threshold = full.edits - 1 - Math.floor(rand() * 3);
        const bounded = aligner.score(shifted, threshold);
        if (truth <= threshold) expect(bounded).toBe(truth);
        else {
          expect(bounded).toBeGreaterThan(threshold);
          expect(bounded).toBeLessThanOrEqual(truth);
          if (bounded !== truth) stopped++;
        }
      }
    }
    expect(stopped).toBeGreaterThan(0); // the early stop did happen
  });
});
