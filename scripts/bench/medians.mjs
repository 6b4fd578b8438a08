// The two medians the benches report, defined once.
// median: the middle of the sorted values, the mean of the two middle ones for an even count (what a summary of
// several runs reports). middleValue: the value at index ⌊n/2⌋ of the sorted values, one that was measured (what a
// bench reports as "the median step" or "the median µs" of its repetitions).

/** The median of xs: the mean of the two middle values for an even count. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(s.length / 2);
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** The value at index ⌊n/2⌋ of xs sorted: the median for an odd count, the upper middle value for an even one. */
export function middleValue(xs) {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}
