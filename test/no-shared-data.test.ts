// The packages never read the repository's reference data folder (../shared/data next to a checkout): a user's data
// comes from `peft data get`, `--data` or PEFT_DATA. Only tests and repository scripts may point PEFT_DATA at it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../packages', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mts|cts|js|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

it('no package source names shared/data or ../shared', () => {
  const offenders = readdirSync(packages)
    .flatMap((p) => {
      try {
        return sources(join(packages, p, 'src'));
      } catch {
        return [];
      }
    })
    .filter((f) => /shared\/data|\.\.\/shared|'shared', 'data'/.test(readFileSync(f, 'utf8')));
  expect(offenders).toEqual([]);
});
