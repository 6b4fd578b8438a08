import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// What `npm pack` (and so `npm publish`) puts in each package's tarball, from the build `npm test` makes first
// (--ignore-scripts: the prepack build is what that build already did).
const root = fileURLToPath(new URL('..', import.meta.url));
const packages = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'package.json')));
const npm = (args: string[], cwd = root): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });

type PackResult = { name: string; filename: string; files: { path: string }[] };
const listed = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts', '--workspaces'])) as PackResult[];
const byName = new Map(listed.map((p) => [p.name, new Set(p.files.map((f) => f.path))]));

describe.each(packages)('the @peft/%s tarball', (dir) => {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));

  it('holds its build, types, README and Apache-2.0 LICENSE, and no sources or tests', () => {
    const files = byName.get(manifest.name)!;
    expect(files, manifest.name).toBeDefined();
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
      expect(files.has(f), `${manifest.name}: ${f}`).toBe(true);
    }
    expect([...files].filter((f) => f.startsWith('test/') || (f.startsWith('src/') && !f.startsWith('src/native/')))).toEqual([]);
    expect(readFileSync(join(root, 'packages', dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  });

  it('builds itself when packed and says where it comes from, which Node it needs, and that it is public', () => {
    expect(manifest.scripts.prepack).toBe('node ../../scripts/prepack.mjs');
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/.+\.git$/), directory: `packages/${dir}` });
    expect(manifest.engines).toEqual({ node: '>=20' });
    expect(manifest.publishConfig).toEqual({ access: 'public' });
  });
});

describe('the @peft/recipes tarball', () => {
  // unpacked under the repository (runs/ is ignored), so that its dependencies resolve from the repository's node_modules
  let dir = '';
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('holds the demo model and data, byte for byte, and finds them where it is installed (ESM and CommonJS)', () => {
    mkdirSync(join(root, 'runs'), { recursive: true });
    dir = mkdtempSync(join(root, 'runs', 'packed-recipes-'));
    const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], join(root, 'packages', 'recipes'))) as PackResult[];
    const installed = join(dir, 'node_modules', '@peft', 'recipes');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(dir, packed!.filename), '-C', installed, '--strip-components=1']);
    // the dependencies npm nested under the workspace (commander 14 beside the root's older one): as an install nests them
    const nested = join(root, 'packages', 'recipes', 'node_modules');
    if (existsSync(nested)) symlinkSync(nested, join(installed, 'node_modules'), 'dir');
    const demo = join(root, 'packages', 'recipes', 'demo');
    const regular = readdirSync(demo, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(demo, join(e.parentPath, e.name)));
    for (const f of [
      'tiny-gpt2/config.json', 'tiny-gpt2/model.safetensors', 'tiny-gpt2/tokenizer.json', 'tiny-gpt2/vocab.json', 'tiny-gpt2/merges.txt',
      'data/webnlg/webnlg_challenge_2017/train.json', 'data/webnlg/webnlg_challenge_2017/dev.json', 'data/webnlg/webnlg_challenge_2017/test.json',
      'README.md',
    ]) {
      expect(regular, f).toContain(f);
    }
    for (const f of regular) expect(readFileSync(join(installed, 'demo', f)).equals(readFileSync(join(demo, f))), f).toBe(true);
    const print = 'console.log(JSON.stringify([m.demoModelDir(), m.demoDataDir(), m.peftCliPath()]))';
    const want = [join(installed, 'demo', 'tiny-gpt2'), join(installed, 'demo', 'data'), join(installed, 'dist', 'cli.js')];
    const cjs = execFileSync(process.execPath, ['-e', `const m = require(${JSON.stringify(installed)}); ${print}`], { encoding: 'utf8' });
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(installed, 'dist', 'index.js'))}); ${print}`], { encoding: 'utf8' });
    expect(JSON.parse(cjs.trim().split('\n').pop()!)).toEqual(want);
    expect(JSON.parse(esm.trim().split('\n').pop()!)).toEqual(want);
  });
});

describe('a package packed from an unbuilt checkout', () => {
  it('builds itself (prepack) and ships the build: @peft/lora copied without dist/', () => {
    // two levels under the repository root, as packages/* are, so the prepack script and tsconfig resolve as there
    mkdirSync(join(root, 'runs'), { recursive: true });
    const dir = mkdtempSync(join(root, 'runs', 'unbuilt-lora-'));
    try {
      for (const f of ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json', 'README.md', 'LICENSE']) {
        cpSync(join(root, 'packages', 'lora', f), join(dir, f), { recursive: true });
      }
      expect(existsSync(join(dir, 'dist'))).toBe(false);
      const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], dir)) as PackResult[];
      const files = packed!.files.map((f) => f.path);
      for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'LICENSE']) expect(files).toContain(f);
      const listing = execFileSync('tar', ['-tzf', join(dir, packed!.filename)], { encoding: 'utf8' });
      expect(listing).toContain('package/dist/index.cjs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
