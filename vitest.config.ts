import { defineConfig } from 'vitest/config';
import { inlineTfjsCore, peftAliases, testDataEnv } from './vitest.shared.ts';

// Tests import every @peft package from its source, so `vitest` runs without a build; the dist tests import the
// built packages from plain Node instead.
//
// Two projects: `unit` runs on the pure-JS cpu backend (test/setup.ts); `webgpu` (files `*.webgpu.test.ts`) also
// registers tfjs's WebGPU backend through @peft/webgpu (test/setup-webgpu.ts) and compares it with cpu — on a
// machine without a GPU on Mesa's software adapter. `npx vitest run --project webgpu` runs those alone.

const exclude = ['**/node_modules/**', '**/*.e2e.test.ts'];

export default defineConfig({
  resolve: { alias: peftAliases },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: testDataEnv,
    maxWorkers: 2,
    server: inlineTfjsCore,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...exclude, '**/*.webgpu.test.ts'],
          setupFiles: ['./test/setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'webgpu',
          include: ['packages/*/test/**/*.webgpu.test.ts', 'test/**/*.webgpu.test.ts'],
          exclude,
          setupFiles: ['./test/setup.ts', './test/setup-webgpu.ts'],
          testTimeout: 300_000,
        },
      },
    ],
  },
});
