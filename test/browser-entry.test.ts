import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// @peft/recipes' `browser` entry (what Vite, webpack and esbuild pick for a page), once built: everything of the Node
// entry but the sweep queue and the report charts, and none of their packages in the modules it loads.
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}/packages/recipes/dist`;

function exportNames(file: string): string[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); console.log(JSON.stringify(Object.keys(m).sort()))`], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}

/** The modules `file` imports (static and dynamic), its own chunks followed. */
function importsOf(file: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  const code = readFileSync(`${dist}/${file}`, 'utf8');
  for (const m of code.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
    const spec = m[1]!;
    if (spec.startsWith('./')) {
      const chunk = spec.slice(2);
      if (!seen.has(chunk)) {
        seen.add(chunk);
        for (const s of importsOf(chunk, seen)) found.add(s);
      }
    } else found.add(spec);
  }
  return found;
}

describe('@peft/recipes in a browser', () => {
  const manifest = JSON.parse(readFileSync(`${root}/packages/recipes/package.json`, 'utf8'));

  it('gives bundlers its browser entry first in the exports map, and maps the Node built-ins of its file APIs to nothing', () => {
    expect(Object.keys(manifest.exports['.'])[0]).toBe('browser');
    expect(manifest.exports['.'].browser.default).toBe('./dist/browser.js');
    expect(manifest.browser).toMatchObject({ fs: false, path: false });
    expect(readdirSync(dist)).toContain('browser.js');
  });

  it('exports everything the Node entry does except the sweep queue and the report charts', () => {
    const node = exportNames(`${dist}/index.js`);
    const browser = exportNames(`${dist}/browser.js`);
    expect(browser.filter((n) => !node.includes(n))).toEqual([]);
    // what the browser example's training page imports, and the training chart's spec
    expect(browser).toEqual(expect.arrayContaining(['trainLoop', 'NLG_ADAMW', 'constantSchedule', 'lmSplit', 'trainingChartSpec']));
    const left = node.filter((n) => !browser.includes(n));
    expect(left).toContain('renderVegaLite');
    expect(left.length).toBeGreaterThan(1);
  });

  it('loads no Node-only package: no queue, no charts, no child processes', () => {
    const imports = [...importsOf('browser.js')];
    expect(imports.filter((s) => /bullmq|ioredis|@stdlib|@resvg|^vega|dejavu|child_process|^module$/.test(s))).toEqual([]);
    expect(imports).toContain('@peft/core');
  });
});
