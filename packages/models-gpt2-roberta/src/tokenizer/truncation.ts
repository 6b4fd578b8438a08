import { TokenizerInputError } from './errors.js';

/**
 * HF 'longest_first' truncation as in `tokenizers` 0.10.3 (KA's pinned version) and the slow tokenizers: remove one
 * token at a time from the end of the longer sequence, from the second one on a tie, until both fit in `budget`
 * tokens (the max length less the special tokens). Throws if a sequence would be emptied.
 */
export function truncateLongestFirst(
  first: readonly number[],
  second: readonly number[] | undefined,
  budget: number,
): [number[], number[] | undefined] {
  let nFirst = first.length;
  let nSecond = second?.length ?? 0;
  const toRemove = Math.max(0, nFirst + nSecond - budget);
  for (let i = 0; i < toRemove; i += 1) {
    if (nFirst > nSecond) nFirst -= 1;
    else nSecond -= 1;
  }
  if (toRemove > 0 && (nFirst === 0 || (second !== undefined && nSecond === 0))) {
    throw new TokenizerInputError(
      'maxLength',
      `sequences of ${first.length}${second === undefined ? '' : ` and ${second.length}`} tokens cannot be cut to ${budget} tokens (the max length less the special tokens) without emptying one`,
    );
  }
  return [first.slice(0, nFirst), second?.slice(0, nSecond)];
}
