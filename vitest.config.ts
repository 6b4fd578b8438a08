import { defineConfig } from 'vitest/config';
import { inlineTfjsCore, peftAliases } from './vitest.shared.ts';

// Tests import every @peft package from its source, so `vitest` runs without a build; the dist tests import the
// built packages from plain Node instead.

export default defineConfig({
  resolve: { alias: peftAliases },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.e2e.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    server: inlineTfjsCore,
  },
});
