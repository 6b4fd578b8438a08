import mean from '@stdlib/stats-strided-mean';
import stdev from '@stdlib/stats-strided-stdev';
import ttest2 from '@stdlib/stats-ttest2';

/** Mean and sample standard deviation (n − 1) over seeds; sd is null below two values. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number | null; n: number } {
  if (!xs.length) return { mean: NaN, sd: null, n: 0 };
  return { mean: mean(xs.length, xs, 1), sd: xs.length > 1 ? stdev(xs.length, 1, xs, 1) : null, n: xs.length };
}

export interface WelchResult {
  readonly t: number;
  readonly df: number;
  readonly p: number;
}

/**
 * Two-sided Welch t-test (unequal variances, Satterthwaite degrees of freedom) of x against y, by @stdlib/stats-ttest2.
 * Null when it is undefined: fewer than two values on a side, or no variance on either side.
 */
export function welchTTest(x: readonly number[], y: readonly number[]): WelchResult | null {
  if (x.length < 2 || y.length < 2) return null;
  const vx = stdev(x.length, 1, x, 1);
  const vy = stdev(y.length, 1, y, 1);
  if (vx === 0 && vy === 0) return null;
  const r = ttest2(x as number[], y as number[], { alternative: 'two-sided', variance: 'unequal' });
  return { t: r.statistic, df: r.df, p: r.pValue };
}
