import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every package, once built (`npm test` builds first), loads from plain Node as ESM and as CommonJS, through its
// exports map, next to the application's own tfjs-core and backend.
const root = fileURLToPath(new URL('..', import.meta.url));
const packages = readdirSync(`${root}/packages`).filter((p) => existsSync(`${root}/packages/${p}/package.json`));

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.each(packages)('@peft/%s from its build', (pkg) => {
  const manifest = JSON.parse(readFileSync(`${root}/packages/${pkg}/package.json`, 'utf8'));

  it('has a dist with ESM, CJS and types behind its exports map', () => {
    expect(manifest.exports['.'].import.default).toBe('./dist/index.js');
    expect(manifest.exports['.'].require.default).toBe('./dist/index.cjs');
    for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      expect(existsSync(`${root}/packages/${pkg}/dist/${f}`), `${pkg}/dist/${f}`).toBe(true);
    }
  });

  it('imports as ESM and requires as CJS with the same export names', () => {
    const esm = run([
      '--input-type=module',
      '-e',
      `const m = await import('@peft/${pkg}'); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))`,
    ]);
    const cjs = run(['-e', `console.log(JSON.stringify(Object.keys(require('@peft/${pkg}')).sort()))`]);
    const esmNames = JSON.parse(esm.trim().split('\n').pop()!) as string[];
    const cjsNames = JSON.parse(cjs.trim().split('\n').pop()!) as string[];
    expect(esmNames.length).toBeGreaterThan(0);
    expect(cjsNames).toEqual(esmNames);
  });
});
