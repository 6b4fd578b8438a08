import { describe, expect, it } from 'vitest';
import { meanSd, welchTTest } from '../src/statistics.js';

// Reference values computed independently with SciPy 1.10.1 (Debian's python3-scipy):
//   scipy.stats.ttest_ind(x, y, equal_var=False) → statistic, pvalue
//   numpy: np.std(y, ddof=1); Welch–Satterthwaite df = (a + b)² / (a²/(nx − 1) + b²/(ny − 1)), a = var(x)/nx, b = var(y)/ny
const CASES = [
  { x: [84.1, 84.5, 83.9, 84.3, 84.0], y: [83.2, 83.6, 83.1, 83.9, 83.4], t: 4.012403130542448, p: 0.004530599402008892, df: 7.4203105990123355, meanY: 83.44, sdY: 0.32093613071762633 },
  { x: [0.46, 0.47, 0.45], y: [0.44, 0.48, 0.43, 0.47], t: 0.37796447300922786, p: 0.7236773958894942, df: 4.226837060702873, meanY: 0.455, sdY: 0.023804761428476155 },
  { x: [94.5, 94.7], y: [94.1, 95.2, 93.8], t: 0.533744996164083, p: 0.6423131187507052, df: 2.2134600276832175, meanY: 94.36666666666667, sdY: 0.7371114795832031 },
  { x: [1, 2, 3, 4, 5, 6], y: [2.5, 2.5, 2.6, 2.4], t: 1.307440900921227, p: 0.2476480161672437, df: 5.028543829335656, meanY: 2.5, sdY: 0.08164965809277268 },
  // no variance on one side: Welch's test is still defined
  { x: [10, 10, 10], y: [9, 11, 12], t: -0.7559289460184537, p: 0.5285954792089688, df: 2, meanY: 10.666666666666666, sdY: 1.5275252316519468 },
];

describe('two-sided Welch t-test (@stdlib/stats-ttest2) against SciPy ttest_ind(equal_var=False)', () => {
  it.each(CASES.map((c, i) => [i, c] as const))('case %i: t, df and p to 1e-9 relative', (_i, c) => {
    const r = welchTTest(c.x, c.y)!;
    expect(r.t).toBeCloseTo(c.t, 9);
    expect(r.df / c.df).toBeCloseTo(1, 9);
    expect(r.p / c.p).toBeCloseTo(1, 7);
    const m = meanSd(c.y);
    expect(m.mean).toBeCloseTo(c.meanY, 12);
    expect(m.sd!).toBeCloseTo(c.sdY, 12);
    expect(m.n).toBe(c.y.length);
  });

  it('is symmetric: swapping the samples flips t and keeps p', () => {
    const c = CASES[0]!;
    const a = welchTTest(c.x, c.y)!;
    const b = welchTTest(c.y, c.x)!;
    expect(b.t).toBeCloseTo(-a.t, 12);
    expect(b.p).toBeCloseTo(a.p, 12);
  });

  it('is undefined (null) below two values a side or with no variance on both sides; sd is null for one value', () => {
    expect(welchTTest([1], [1, 2])).toBeNull();
    expect(welchTTest([3, 3], [4, 4, 4])).toBeNull();
    expect(meanSd([5])).toEqual({ mean: 5, sd: null, n: 1 });
    expect(meanSd([]).n).toBe(0);
  });
});
