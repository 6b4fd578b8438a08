import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
  },
  {
    // preloaded into each `peft train` a sweep worker starts: the child ends when its worker is gone
    entry: { 'exit-with-parent': 'src/exit-with-parent.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    dts: false,
    clean: false,
    sourcemap: false,
    target: 'node20',
  },
]);
