// Decimal rounding of doubles exactly as C's printf("%.Nf") and Python's round(x, N) do it: the exact binary
// value is rounded, and an exact tie goes to the even digit. `Number.prototype.toFixed` rounds ties away from
// zero (0.125.toFixed(2) === '0.13', printf gives '0.12'), so it cannot be used on its own.

/** Exact decimal expansion of |x| as [integer digits, 100 fractional digits] (exact for |x| >= 1e-80). */
function exactDigits(x: number): [string, string] {
  const text = Math.abs(x).toFixed(100);
  const dot = text.indexOf('.');
  return [text.slice(0, dot), text.slice(dot + 1)];
}

/** printf("%.{digits}f", x) for finite |x| < 1e21. */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  if (Math.abs(x) >= 1e21) return x.toFixed(digits);
  const [intPart, fracPart] = exactDigits(x);
  const kept = intPart + fracPart.slice(0, digits);
  const rest = fracPart.slice(digits);
  const first = rest.charCodeAt(0) - 48;
  const restIsExactHalf = first === 5 && /^5?0*$/.test(rest);
  const lastKeptDigit = kept.charCodeAt(kept.length - 1) - 48;
  const roundUp = first > 5 || (first === 5 && !restIsExactHalf) || (restIsExactHalf && lastKeptDigit % 2 === 1);
  let magnitude = BigInt(kept);
  if (roundUp) magnitude += 1n;
  let body = magnitude.toString().padStart(digits + 1, '0');
  if (digits > 0) body = `${body.slice(0, body.length - digits)}.${body.slice(body.length - digits)}`;
  const negative = x < 0 || Object.is(x, -0);
  return negative ? `-${body}` : body;
}

/** Python's `round(x, digits)` for a float: the double nearest to the correctly rounded decimal. */
export function pyRound(x: number, digits: number): number {
  return Number(formatFixed(x, digits));
}
