// Runs a Markdown code block as a user would paste it: a TypeScript block becomes a module inside the repository
// (so `@peft/*` and tfjs resolve), imported under vitest with the working directory set to a fresh folder laid out like
// a checkout — `test-fixtures/` and `../shared/` are links to the real ones — so relative paths in the block work and
// whatever it writes (`out/…`) lands in the temporary folder, never in the repository.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runnableBlocks, type RunnableBlock } from './runnable.js';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
const BLOCK_DIR = join(REPO, 'test-output', 'docs-blocks');

/** The Markdown files whose blocks are checked: the root README, docs/ and examples/. */
export function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.name === 'node_modules' ? [] : e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return [join(REPO, 'README.md'), ...walk(join(REPO, 'docs')), ...walk(join(REPO, 'examples'))];
}

export function allRunnableBlocks(): RunnableBlock[] {
  return markdownFiles().flatMap((f) => runnableBlocks(readFileSync(f, 'utf8'), relative(REPO, f)));
}

/** A fresh working directory shaped like a checkout: `<tmp>/repo` (the cwd) with `test-fixtures`, and `<tmp>/shared`. */
export function scratchCheckout(): { cwd: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'peft-docs-'));
  const cwd = join(root, 'repo');
  mkdirSync(cwd);
  symlinkSync(join(REPO, 'test-fixtures'), join(cwd, 'test-fixtures'), 'dir');
  const shared = resolve(REPO, '../shared');
  if (existsSync(shared)) symlinkSync(shared, join(root, 'shared'), 'dir');
  return { cwd, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Writes a TypeScript block to a module in the repository and imports it with `cwd` as the working directory. */
export async function runTypeScriptBlock(block: RunnableBlock, cwd: string): Promise<void> {
  mkdirSync(BLOCK_DIR, { recursive: true });
  const name = `${block.file.replace(/[^\w]+/g, '_')}_L${block.line}.ts`;
  const path = join(BLOCK_DIR, name);
  writeFileSync(path, `// ${block.file}:${block.line}\n${block.code}export {};\n`);
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    await import(/* @vite-ignore */ `${pathToFileURL(path).href}?t=${Date.now()}`);
  } finally {
    process.chdir(previous);
  }
}
