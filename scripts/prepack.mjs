#!/usr/bin/env node
// Each package's `prepack`: builds the package (tsup → dist/) unless dist/ is already built from its current sources,
// so that `npm pack` / `npm publish` from a clean, unbuilt checkout ships a build. `npm run release` builds every
// package first (in dependency order) and `changeset publish` then packs up to 10 packages at once: rebuilding there
// would delete a dependency's dist/ (tsup's clean) while a dependent's type build reads it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.cwd(); // npm runs lifecycle scripts in the package's folder
const built = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'].map((f) => join(dir, 'dist', f));

function newestSource() {
  const files = [join(dir, 'tsup.config.ts'), ...readdirSync(join(dir, 'src'), { recursive: true }).map((f) => join(dir, 'src', f))];
  return Math.max(...files.filter((f) => existsSync(f) && statSync(f).isFile()).map((f) => statSync(f).mtimeMs));
}

const oldestBuild = built.every((f) => existsSync(f)) ? Math.min(...built.map((f) => statSync(f).mtimeMs)) : -Infinity;
if (oldestBuild >= newestSource()) {
  console.error(`prepack: ${dir}/dist is built from the current sources`);
} else {
  console.error(`prepack: building ${dir}`);
  execFileSync('tsup', [], { cwd: dir, stdio: ['ignore', 2, 2] }); // stdout stays npm's (`npm pack --json`)
}
