import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// End-to-end tests (`npm run e2e`, after `npm run build`): the slow `*.e2e.test.ts` files that `npm test` leaves out.
// They mostly spawn the built `peft` command; sources are aliased as in vitest.config.ts for any direct import.
const packagesDir = fileURLToPath(new URL('./packages', import.meta.url));
const alias = Object.fromEntries(
  readdirSync(packagesDir).map((name) => [`@peft/${name}`, `${packagesDir}/${name}/src/index.ts`]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.e2e.test.ts', 'examples/**/*.e2e.test.ts', 'docs/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    server: {
      deps: {
        inline: [/@tensorflow[\\/]tfjs-core[\\/]dist[\\/](?!tf-core)/],
      },
    },
  },
});
