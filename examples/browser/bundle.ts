// Bundles the two pages with Vite (programmatically): index.html (generation with a served adapter) and train.html
// (training in the page). Some @peft package indexes import node:* modules at the top level for their file APIs
// (@peft/core's writeFileAtomic, @peft/recipes' data readers and checkpoints); the pages never call those, so each
// node:* import is replaced by a module with the same export names whose functions throw if called. The packages
// @peft/recipes loads on demand for its report charts are left out the same way.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const packagesDir = fileURLToPath(new URL('../../packages/', import.meta.url));

/** The pages: generation with a served adapter, and training in the page. */
export const PAGES = { index: 'index.html', train: 'train.html' } as const;

const NODE_STUB = '\0node-builtin-stub';

/** node:* imports become a module whose named exports are functions that throw when called. */
function nodeBuiltinsUnavailable(): Plugin {
  return {
    name: 'peft-node-builtins-unavailable',
    enforce: 'pre',
    resolveId: (id) => (id.startsWith('node:') ? `${NODE_STUB}:${id.slice('node:'.length)}` : null),
    load: async (id) => {
      if (!id.startsWith(NODE_STUB)) return null;
      const module = id.slice(NODE_STUB.length + 1);
      const names = Object.keys(await import(/* @vite-ignore */ `node:${module}`)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      const fn = (name: string) =>
        `export function ${name}() { throw new Error('node:${module} ${name}() is not available in the browser'); }`;
      return [...names.map(fn), 'export default {};'].join('\n');
    },
  };
}

/**
 * Packages that @peft/recipes loads on demand to draw its report charts (`import()` in renderVegaLite): resvg is a
 * Node addon that cannot be bundled, and Vega would only add a chunk the pages never load. Each becomes a module that
 * throws when loaded.
 */
const NOT_IN_PAGES = ['@resvg/resvg-js', 'vega', 'vega-lite'];
const NOT_IN_PAGES_STUB = '\0not-in-pages';

function onDemandPackagesLeftOut(): Plugin {
  return {
    name: 'peft-on-demand-packages-left-out',
    enforce: 'pre',
    resolveId: (id) => (NOT_IN_PAGES.includes(id) ? `${NOT_IN_PAGES_STUB}:${id}` : null),
    load: (id) =>
      id.startsWith(NOT_IN_PAGES_STUB)
        ? `throw new Error('${id.slice(NOT_IN_PAGES_STUB.length + 1)} is left out of the browser pages (Node-only report charts)');`
        : null,
  };
}

/**
 * @peft/* from their TypeScript sources. The packages declare only their built `dist/index.*` files as having side
 * effects, and a method package's side effect (registering its type for adapter files) is what the page needs, so
 * the sources are marked as having side effects too.
 */
function peftFromSource(): Plugin {
  const names = new Set(readdirSync(packagesDir));
  return {
    name: 'peft-from-source',
    enforce: 'pre',
    resolveId: (id) => {
      const m = /^@peft\/([^/]+)$/.exec(id);
      return m && names.has(m[1]!) ? { id: `${packagesDir}${m[1]}/src/index.ts`, moduleSideEffects: true } : null;
    },
  };
}

export interface BundleOptions {
  /** Where the built page goes (emptied first). */
  readonly outDir: string;
  /**
   * Resolve @peft/* to their TypeScript sources (as the repository's tests do) instead of the built packages in
   * node_modules (which need `npm run build` first). Default false.
   */
  readonly fromSource?: boolean;
}

export async function bundlePage(options: BundleOptions): Promise<void> {
  await build({
    root: here,
    configFile: false,
    logLevel: 'error', // (rolldown warns that the node:* stubs are imported both statically and dynamically)
    base: './',
    plugins: [nodeBuiltinsUnavailable(), onDemandPackagesLeftOut(), ...(options.fromSource ? [peftFromSource()] : [])],
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
