import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFileError } from '../errors.js';

/** The monorepo root, from this file's place (packages/recipes/{src,dist}/…). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'packages', 'recipes'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}

export function requireFile(path: string, what: string): string {
  if (!existsSync(path)) throw new DataFileError(path, `${what} not found`);
  return path;
}

