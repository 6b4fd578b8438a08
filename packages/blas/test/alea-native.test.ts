import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { underCi } from './addon-gate.js';

// Alea's jump-ahead (src/native/alea.h), which the dropout masks' lanes and threads and the tiled attention's rows
// start from, checked in C without Node: test/native/alea-check.c built with the system compiler and run.
const native = new URL('../src/native/', import.meta.url).pathname;
const check = new URL('./native/alea-check.c', import.meta.url).pathname;
const cc = process.env.CC ?? 'cc';
const hasCc = spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasCc && !underCi) console.warn(`skipping the native Alea check: no C compiler (${cc})`);

describe.skipIf(!hasCc && !underCi)('Alea jump-ahead (C check, native)', () => {
  it('the modular product equals the bit-serial one, and a jump of k equals k draws', () => {
    expect(hasCc, `a C compiler (${cc})`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'alea-native-'));
    try {
      const exe = join(dir, 'check');
      execFileSync(cc, ['-O2', '-std=gnu11', `-I${native}`, check, '-o', exe, '-lm']);
      const out = execFileSync(exe, { encoding: 'utf8' });
      expect(out).toMatch(/^1000144 products, 0 failed$/m);
      expect(out).toMatch(/^36 jumps, 0 failed$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
