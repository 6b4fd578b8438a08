import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { underCi } from './addon-gate.js';

// Alea's jump-ahead (src/native/alea.h), which the dropout masks' lanes and threads and the tiled attention's rows
// start from, and the mask lanes themselves (alea-lanes.c) on every path this CPU has, checked in C without Node:
// test/native/alea-check.c built with the system compiler (node_api.h from Node's own include/node) and run.
const native = new URL('../src/native/', import.meta.url).pathname;
const nodeHeaders = join(dirname(process.execPath), '..', 'include', 'node');
const check = new URL('./native/alea-check.c', import.meta.url).pathname;
const cc = process.env.CC ?? 'cc';
const hasCc = spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasCc && !underCi) console.warn(`skipping the native Alea check: no C compiler (${cc})`);

describe.skipIf(!hasCc && !underCi)('Alea jump-ahead (C check, native)', () => {
  it('the modular product equals the bit-serial one, a jump of k equals k draws, and the lanes equal one value at a time', () => {
    expect(hasCc, `a C compiler (${cc})`).toBe(true);
    expect(existsSync(join(nodeHeaders, 'node_api.h')), `Node's headers in ${nodeHeaders}`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'alea-native-'));
    try {
      const exe = join(dir, 'check');
      execFileSync(cc, ['-O2', '-std=gnu11', `-I${nodeHeaders}`, `-I${native}`, check, join(native, 'alea-lanes.c'), '-o', exe, '-lm']);
      const out = execFileSync(exe, { encoding: 'utf8' });
      expect(out).toMatch(/^1000144 products, 0 failed$/m);
      expect(out).toMatch(/^36 jumps, 0 failed$/m);
      const paths = [...out.matchAll(/^lanes (\w+): 32000 values, 0 failed$/gm)].map((m) => m[1]);
      expect(paths[0]).toBe('baseline');
      // the CPU's own word (Linux): every x86-64 path its flags allow is among those checked
      if (process.arch === 'x64' && existsSync('/proc/cpuinfo')) {
        const flags = (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').split(/\s+/);
        const avx2 = flags.includes('avx2') && flags.includes('fma');
        expect(paths).toEqual(['baseline', ...(avx2 ? ['avx2'] : []), ...(avx2 && flags.includes('avx512f') ? ['avx512'] : [])]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
