import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// @peft/webgpu must load in a browser (a page registers its kernels on the browser's WebGPU): no Node built-in and no
// Dawn at the top level of any module; Dawn only through a computed dynamic import that bundlers leave alone.
const src = new URL('../src/', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('@peft/webgpu is browser-safe', () => {
  it('imports no Node built-in and no Dawn statically; process is read only behind a typeof or in Node-only functions', () => {
    const all = files(src);
    expect(all.length).toBeGreaterThan(5);
    for (const f of all) {
      const text = readFileSync(f, 'utf8');
      const imports = [...text.matchAll(/^import[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);
      // seedrandom: tfjs-core's own random source (browser-safe), for the dropout masks' alea draws
      for (const i of imports) expect(i, f).toMatch(/^(@tensorflow\/tfjs-core|@tensorflow\/tfjs-backend-webgpu|@peft\/core|seedrandom|\.\.?\/.+\.js)$/);
      expect(text, f).not.toMatch(/\brequire\(|import\('webgpu'\)|from 'webgpu'/);
    }
    const node = readFileSync(join(src, 'node-gpu.ts'), 'utf8');
    expect(node).toMatch(/const specifier = 'webgpu';[\s\S]*import\(\/\* @vite-ignore \*\/ specifier\)/);
  });
});
