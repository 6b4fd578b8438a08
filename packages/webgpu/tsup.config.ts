import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022', // browser-safe: no Node built-ins at the top level; Dawn for Node is imported on demand
  external: ['webgpu'],
});
