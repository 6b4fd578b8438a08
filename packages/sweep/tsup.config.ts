import { defineConfig } from 'tsup';

// One config (two would run at once, and the first one's `clean` could delete the other's output): the package, and
// dist/exit-with-parent.cjs, preloaded into each `peft train` a sweep worker starts (the child ends when its worker is
// gone). Its ESM twin dist/exit-with-parent.js is unused.
export default defineConfig({
  entry: { index: 'src/index.ts', 'exit-with-parent': 'src/exit-with-parent.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // import.meta.url (where dist/exit-with-parent.cjs lies) from __filename in the CommonJS build
  shims: true,
});
