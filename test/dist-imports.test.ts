import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

// What finds its own files through import.meta.url (the CLI beside the package, the demo's model and data, the chart
// font, the WordNet files, the native addon) works from the CommonJS build, where tsup has no import.meta unless it
// shims it: each call gives the same answer from `require` as from `import`, and the files it names exist.
const importMetaCalls: Record<string, { expr: string; check: (value: unknown) => void }[]> = {
  recipes: [
    { expr: 'm.peftCliPath()', check: (v) => expect(v).toBe(join(root, 'packages', 'recipes', 'dist', 'cli.js')) },
    { expr: 'm.demoModelDir()', check: (v) => expect(existsSync(`${v}/model.safetensors`), String(v)).toBe(true) },
    { expr: 'm.demoDataDir()', check: (v) => expect(existsSync(`${v}/webnlg/webnlg_challenge_2017/test.json`), String(v)).toBe(true) },
    { expr: 'm.chartFontFile()', check: (v) => expect(String(v)).toMatch(/DejaVuSans\.ttf$/) },
  ],
  'eval-metrics': [{ expr: 'm.englishSynonyms().synsets.size', check: (v) => expect(v).toBeGreaterThan(1000) }],
  blas: [{ expr: 'm.blasAvailability()', check: (v) => expect(v).toHaveProperty('available') }],
  sweep: [{ expr: 'm.exitWithParentPath()', check: (v) => expect(v).toBe(join(root, 'packages', 'sweep', 'dist', 'exit-with-parent.cjs')) }],
};

describe('what uses import.meta, from the CommonJS build', () => {
  it('covers every package whose sources use import.meta', () => {
    const usesImportMeta = (pkg: string): boolean =>
      readdirSync(`${root}/packages/${pkg}/src`, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .some((f) => readFileSync(`${root}/packages/${pkg}/src/${f}`, 'utf8').includes('import.meta'));
    const users = packages.filter(usesImportMeta);
    expect(users.sort()).toEqual(Object.keys(importMetaCalls).sort());
  });

  describe.each(Object.entries(importMetaCalls))('@peft/%s', (pkg, calls) => {
    it.each(calls)('$expr', ({ expr, check }) => {
      const print = `console.log(JSON.stringify(${expr}))`;
      const cjs = run(['-e', `const m = require('@peft/${pkg}'); ${print}`]);
      const esm = run(['--input-type=module', '-e', `const m = await import('@peft/${pkg}'); ${print}`]);
      const value = JSON.parse(cjs.trim().split('\n').pop()!) as unknown;
      expect(value).toEqual(JSON.parse(esm.trim().split('\n').pop()!));
      check(value);
    });
  });
});
