// Serves the two pages, the tiny GPT-2 and an adapter on 127.0.0.1.
//   cd examples/browser && npx tsx index.ts        (then open the printed addresses)
// It bundles the pages with Vite, trains and saves the adapter of example 4 if none is given, and serves:
//   /            the bundled pages: index.html (generation with the adapter), train.html (training in the page)
//   /model/*     the checkpoint folder (config.json, model.safetensors, tokenizer files)
//   /adapter/*   the adapter folder (adapter_config.json, adapter_model.safetensors)
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundlePage } from './bundle.js';

export const TINY_GPT2 = fileURLToPath(new URL('../../test-fixtures/tiny-gpt2', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `mounts` (URL prefix → folder, longest prefix first) on 127.0.0.1 only; `port` 0 picks a free one. */
export async function serveFolders(mounts: Record<string, string>, port = 0): Promise<Served> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const prefix = prefixes.find((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
    if (prefix === undefined) return void res.writeHead(404).end('not found');
    const root = mounts[prefix]!;
    const rest = path.slice(prefix.length).replace(/^\/+/, '') || 'index.html';
    const file = normalize(join(root, rest));
    if (!(file === root || file.startsWith(root.endsWith(sep) ? root : root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      return void res.writeHead(404).end('not found');
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Trains the adapter of example 4 (LoRA that has learnt one sentence) and saves it to `dir`. */
export async function trainAdapter(dir: string): Promise<void> {
  const { main } = await import('../04-save-load-merge-generate/index.js');
  await main({ adapterDir: dir, log: () => {} });
}

export interface PageServer extends Served {
  readonly pageDir: string;
  /** The adapter the generation page loads, or null when none is served. */
  readonly adapterDir: string | null;
}

export interface PageServerOptions {
  /** Where the bundled pages (and the trained adapter, unless `adapterDir` is given) go; default a new temporary folder. */
  readonly workDir?: string;
  /**
   * The adapter served at /adapter/ for the generation page; trained (example 04) when the folder holds none. null
   * serves none: the training page needs no adapter.
   */
  readonly adapterDir?: string | null;
  readonly modelDir?: string;
  readonly port?: number;
}

export async function startPageServer(options: PageServerOptions = {}): Promise<PageServer> {
  const work = options.workDir ?? (await mkdtemp(join(tmpdir(), 'peft-browser-')));
  const pageDir = join(work, 'page');
  await bundlePage({ outDir: pageDir });
  const adapterDir = options.adapterDir === undefined ? join(work, 'adapter') : options.adapterDir;
  if (adapterDir !== null && !existsSync(join(adapterDir, 'adapter_config.json'))) await trainAdapter(adapterDir);
  const mounts: Record<string, string> = { '/': pageDir, '/model': options.modelDir ?? TINY_GPT2 };
  if (adapterDir !== null) mounts['/adapter'] = adapterDir;
  const served = await serveFolders(mounts, options.port ?? 0);
  return { ...served, pageDir, adapterDir };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startPageServer({ port: Number(process.env.PORT ?? 5173) });
  console.log(`generation with a trained adapter (WebGL): ${server.url}   (adapter: ${server.adapterDir})`);
  console.log(`training in the page (WebGPU, else WebGL): ${server.url}train.html`);
  console.log('Ctrl-C stops');
}
