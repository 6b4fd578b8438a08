import { TokenizerInputError } from './errors.js';

/**
 * HF 'longest_first' truncation of HF `tokenizers` (the fast tokenizers; the same rule from 0.10.3, KA's pinned
 * version, to today): fit the two texts into `budget` tokens (the max length less the special tokens).
 * If the shorter text fits in its share, only the longer one is cut, to `budget - shorter`; otherwise both are cut to
 * `floor(budget / 2)` and the longer one (the second on a tie) keeps the odd token. A single text is cut to `budget`;
 * a budget of 0 empties both texts (as `tokenizers` does).
 */
export function truncateLongestFirst(
  first: readonly number[],
  second: readonly number[] | undefined,
  budget: number,
): [number[], number[] | undefined] {
  if (!Number.isSafeInteger(budget) || budget < 0) {
    throw new TokenizerInputError('maxLength', `leaves ${budget} tokens for the text once the special tokens are counted`);
  }
  const n1 = first.length;
  const n2 = second?.length ?? 0;
  if (second === undefined || n1 + n2 <= budget) return [first.slice(0, budget), second?.slice()];
  const shorter = Math.min(n1, n2);
  let keepShorter = shorter;
  let keepLonger = shorter > budget ? shorter : Math.max(shorter, budget - shorter);
  if (keepShorter + keepLonger > budget) {
    keepShorter = Math.floor(budget / 2);
    keepLonger = keepShorter + (budget % 2);
  }
  const firstIsShorter = n1 <= n2;
  return [
    first.slice(0, firstIsShorter ? keepShorter : keepLonger),
    second.slice(0, firstIsShorter ? keepLonger : keepShorter),
  ];
}
