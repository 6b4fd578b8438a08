import { blasAvailability } from '@peft/blas';
import { describe, it } from 'vitest';
import { underCi } from '../../../test/ci.js';

export { underCi };

/**
 * describe() for tests that need the native addon. Built: the tests run. Not built: under CI a failing test whose
 * error is the build's (CI must not pass without the accelerator); elsewhere a skip that prints why.
 */
export function describeWithAddon(name: string, body: () => void): void {
  const status = blasAvailability();
  if (status.available) {
    describe(name, body);
  } else if (underCi) {
    describe(name, () => {
      it('has the native addon built (CI: an accelerator that failed to build is a failure)', () => {
        throw new Error(`@peft/blas is unavailable: ${status.reason}`);
      });
    });
  } else {
    console.warn(`skipping "${name}": @peft/blas is unavailable: ${status.reason}`);
    describe.skip(name, body);
  }
}
