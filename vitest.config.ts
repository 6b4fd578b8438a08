import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import every @peft package from its source, so `vitest` runs without a build; the dist tests import the
// built packages from plain Node instead.
const packagesDir = fileURLToPath(new URL('./packages', import.meta.url));
const alias = Object.fromEntries(
  readdirSync(packagesDir).map((name) => [`@peft/${name}`, `${packagesDir}/${name}/src/index.ts`]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.e2e.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    server: {
      deps: {
        // tfjs-core ships its gradient registrations only as extension-less ESM; let Vite resolve those files.
        inline: [/@tensorflow[\\/]tfjs-core[\\/]dist[\\/](?!tf-core)/],
      },
    },
  },
});
