// Bundles the page with Vite (programmatically). @peft/core's index re-exports `writeFileAtomic`, whose module
// imports node:crypto, node:fs/promises and node:path at the top level; the page never calls it, so those imports are
// replaced by a module whose functions throw if called.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const packagesDir = fileURLToPath(new URL('../../packages/', import.meta.url));

const NODE_STUB = '\0node-builtin-stub';
const STUBBED_NAMES = ['randomBytes', 'mkdir', 'open', 'rename', 'rm', 'readFile', 'readdir', 'writeFile', 'basename', 'dirname', 'join'];

/** node:* imports become a module whose named exports throw when used (they are only reached by file APIs). */
function nodeBuiltinsUnavailable(): Plugin {
  return {
    name: 'peft-node-builtins-unavailable',
    enforce: 'pre',
    resolveId: (id) => (id.startsWith('node:') ? `${NODE_STUB}:${id}` : null),
    load: (id) => {
      if (!id.startsWith(NODE_STUB)) return null;
      const module = id.slice(NODE_STUB.length + 1);
      const fn = (name: string) =>
        `export function ${name}() { throw new Error('${module} ${name}() is not available in the browser'); }`;
      return [...STUBBED_NAMES.map(fn), 'export default {};'].join('\n');
    },
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
    plugins: [nodeBuiltinsUnavailable(), ...(options.fromSource ? [peftFromSource()] : [])],
    build: {
      outDir: options.outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 4096, // one page, one bundle: tfjs-core and the tokenizer are most of it
    },
  });
}
