import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // index: the package for Node; browser: what the `browser` export condition gives a page's bundler (src/browser.ts)
    entry: ['src/index.ts', 'src/browser.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
  },
  {
    // the `peft` command: ESM only (top-level await), with a shebang
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // preloaded into each `peft train` a sweep worker starts: the child ends when its worker is gone
    entry: { 'exit-with-parent': 'src/sweep/exit-with-parent.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    dts: false,
    clean: false,
    sourcemap: false,
    target: 'node20',
  },
]);
