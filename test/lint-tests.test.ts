import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../scripts/lint-tests.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'peft-lint-tests-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Lints one test file (and helpers) in a fresh tree; the findings by line, and the exit code. */
function lint(files: Record<string, string>): { code: number | null; lines: number[]; out: string } {
  const dir = mkdtempSync(join(work, 'case-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'pkg/test'), { recursive: true });
    writeFileSync(join(dir, 'pkg/test', name), text);
  }
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  const lines = [...r.stderr.matchAll(/^pkg\/test\/[\w.-]+:(\d+):/gm)].map((m) => Number(m[1]));
  return { code: r.status, lines, out: r.stdout + r.stderr };
}

const head = "import { describe, expect, it } from 'vitest';\n"; // line 1

describe('npm run lint:tests', () => {
  it('passes a file whose tests assert and whose skips CI cannot reach', () => {
    const r = lint({
      'good.test.ts': `${head}import { check } from './helper.js';
const underCi = process.env.CI === 'true';
const haveTool = Math.random() > 2;
function near(a: number) { expect(a).toBeLessThan(1); }
describe.skipIf(!haveTool && !underCi)('needs a tool', () => { it('a', () => expect(1).toBe(1)); });
describe.runIf(haveTool || process.env.CI)('runs under CI', () => { it('b', () => near(0)); });
it('calls an imported helper that asserts', () => check(2));
it('throws on a mismatch', () => { if (Math.sqrt(4) !== 2) throw new Error('no'); });
it('rejects', async () => { await expect(Promise.reject(new Error('x'))).rejects.toThrow('x'); });
if (underCi) { it('c', () => expect(2).toBe(2)); } else { describe.skip('off CI only', () => {}); }
// lint-tests: allow a generator on request, the check is elsewhere
it.runIf(process.env.WRITE === '1')('writes', () => { expect(1).toBe(1); });
`,
      'helper.ts': `import { expect } from 'vitest';\nexport function check(x: number): void { expect(x).toBe(2); }\n`,
    });
    expect(r.out).toContain('lint:tests: ok');
    expect(r.code).toBe(0);
  });

  it('fails on skips CI=true reaches, only, todo, and tests without an assertion, naming each line', () => {
    const r = lint({
      'bad.test.ts': `${head}const haveTool = Math.random() > 2;
it.skip('skipped', () => { expect(1).toBe(1); });
describe.skipIf(!haveTool)('may skip on CI', () => { it('a', () => expect(1).toBe(1)); });
it.runIf(haveTool)('may not run on CI', () => { expect(1).toBe(1); });
it.only('only', () => { expect(1).toBe(1); });
it.todo('later');
it('asserts nothing', () => { const x = 1 + 1; void x; });
it('skips itself', (ctx) => { ctx.skip(); expect(1).toBe(1); });
// lint-tests: allow
it.skip('an allow comment without a reason', () => { expect(1).toBe(1); });
`,
    });
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([3, 4, 5, 6, 7, 8, 9, 11]);
    expect(r.out).toMatch(/bad\.test\.ts:8: it\('asserts nothing'\): no assertion in its body/);
  });
});
