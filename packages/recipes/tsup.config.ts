import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // index: the package for Node; browser: what the `browser` export condition gives a page's bundler (src/browser.ts)
    entry: ['src/index.ts', 'src/browser.ts'],
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
  },
  {
    // the CommonJS build: import.meta.url (the CLI's path, the demo's files) from __filename. Not in the ESM build,
    // whose __filename shim would import node:url at load time and break bundling the training loop for a browser.
    entry: ['src/index.ts'],
    format: ['cjs'],
    dts: true,
    clean: false,
    sourcemap: true,
    target: 'node20',
    shims: true,
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
]);
