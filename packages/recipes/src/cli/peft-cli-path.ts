import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './paths.js';

/** The built `peft` command (dist/cli.js of this package): what a sweep worker (@peft/sweep) runs for each job. */
export function peftCliPath(): string {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(fileURLToPath(import.meta.url)), 'cli.js')); // from dist/cli.js or dist/index.js
  } catch {
    // a bundle without import.meta (CommonJS)
  }
  candidates.push(join(repoRoot(), 'packages', 'recipes', 'dist', 'cli.js'));
  return candidates.find((c) => existsSync(c)) ?? candidates[candidates.length - 1]!;
}
