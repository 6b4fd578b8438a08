/**
 * Whether this run is CI (CI=true, as CI services and .ci/run set it): a missing part (an accelerator, an adapter, a
 * tool) is then a failure, never a skip. scripts/lint-tests.mjs knows this name as a CI guard.
 */
export const underCi = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
