import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The preload that ends a job's child when its worker dies: dist/exit-with-parent.cjs of this package (built by
 * tsup next to index.js), or null when this package runs from its sources without a build.
 */
export function exitWithParentPath(): string | null {
  let here: string;
  try {
    here = dirname(fileURLToPath(import.meta.url));
  } catch {
    return null; // a bundle without import.meta (CommonJS)
  }
  for (const p of [join(here, 'exit-with-parent.cjs'), join(here, '..', 'dist', 'exit-with-parent.cjs')]) if (existsSync(p)) return p;
  return null;
}
