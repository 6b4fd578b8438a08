import { defineConfig } from 'vitest/config';
import { inlineTfjsCore, peftAliases } from './vitest.shared.ts';

// End-to-end tests (`npm run e2e`, after `npm run build`): the slow `*.e2e.test.ts` files that `npm test` leaves out.
// They mostly spawn the built `peft` command; sources are aliased as in vitest.config.ts for any direct import.

export default defineConfig({
  resolve: { alias: peftAliases },
  test: {
    include: ['packages/*/test/**/*.e2e.test.ts', 'examples/**/*.e2e.test.ts', 'docs/**/*.e2e.test.ts', 'test/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    server: inlineTfjsCore,
  },
});
