import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The full data sets the tests read (WebNLG 2017, SST-2, the metric-check sets): `$PEFT_DATA`, which the vitest configs
 * set to `../shared/data` next to the checkout unless it is set already.
 */
export const SHARED_DATA = resolve(process.env.PEFT_DATA || fileURLToPath(new URL('../../shared/data', import.meta.url)));

/** Under CI a missing data file fails the test instead of skipping it (test/ci.ts says when that is). */
import { underCi } from './ci.js';

export const UNDER_CI = underCi;

/**
 * Whether every path (relative to {@link SHARED_DATA}) exists. Off CI a test may skip on `false`; under CI=true a
 * missing file throws, naming it, so the suite fails instead of skipping.
 */
export function haveSharedData(...paths: string[]): boolean {
  const missing = paths.filter((p) => !existsSync(join(SHARED_DATA, p)));
  if (!missing.length) return true;
  if (UNDER_CI) {
    throw new Error(`CI=true and the tests' data is missing: ${missing.map((p) => join(SHARED_DATA, p)).join(', ')} (set PEFT_DATA, or put shared/data next to the checkout)`);
  }
  return false;
}
