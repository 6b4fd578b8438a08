// Bundles the two pages with Vite (programmatically): index.html (generation with a served adapter) and train.html
// (training in the page), from the built @peft packages in node_modules, with no plugin and no alias: what a user's
// own Vite build of these pages does. (@peft/recipes gives a page's bundler its `browser` entry, without the sweep
// queue and the report charts; the Node built-ins that the packages' file APIs import are mapped to nothing by their
// package.json `browser` fields or left out by Vite, and the pages never call those APIs.)
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The pages: generation with a served adapter, and training in the page. */
export const PAGES = { index: 'index.html', train: 'train.html' } as const;

export interface BundleOptions {
  /** Where the built page goes (emptied first). */
  readonly outDir: string;
}

export async function bundlePage(options: BundleOptions): Promise<void> {
  await build({
    root: here,
    configFile: false,
    logLevel: 'error', // (rolldown notes each Node built-in the packages map to nothing, imported statically and dynamically)
    base: './',
    build: {
      rolldownOptions: { input: Object.fromEntries(Object.entries(PAGES).map(([name, file]) => [name, `${here}${file}`])) },
      outDir: options.outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 4096, // tfjs-core, its backends and the tokenizer are most of it
    },
  });
}
