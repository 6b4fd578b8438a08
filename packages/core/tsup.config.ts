import { defineConfig } from 'tsup';

export default defineConfig({
  // `@peft/core/errors`: the error root without tfjs, for packages that do not use tensors (@peft/eval-metrics).
  entry: ['src/index.ts', 'src/errors.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // tfjs-core's CommonJS entry has no gradients and its gradient registrations exist only as extension-less ESM,
  // which Node cannot load: bundle them. They register into tfjs-core's global registry and act on its global
  // engine, so they work with the application's copy of tfjs-core.
  noExternal: [/@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
});
