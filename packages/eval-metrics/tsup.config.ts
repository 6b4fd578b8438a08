import { defineConfig } from 'tsup';

const common = { entry: ['src/index.ts'], dts: true, sourcemap: true, target: 'node20' } as const;

export default defineConfig([
  { ...common, format: ['esm'], clean: true },
  // the CommonJS build: import.meta.url (where the METEOR resources are) from __filename, without esbuild's
  // "import.meta is not available" warning; not in the ESM build, which has import.meta itself
  { ...common, format: ['cjs'], clean: false, shims: true },
]);
