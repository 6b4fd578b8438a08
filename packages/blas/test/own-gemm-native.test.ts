import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { underCi } from './addon-gate.js';

// The own GEMM's paths on this machine, without Node: the C check test/native/own-gemm-check.c built with the system
// compiler and run, which checks every path the CPU has (baseline; on x86-64 AVX2+FMA and AVX-512 where present) on
// integer inputs, exact, four transpose forms, odd sizes, past every cache block. The arm64 paths are checked under qemu
// by own-gemm-arm64.e2e.test.ts. The driver whose threads share B's packed blocks is checked on 3 threads.
const native = new URL('../src/native/', import.meta.url).pathname;
const check = new URL('./native/own-gemm-check.c', import.meta.url).pathname;
const cc = process.env.CC ?? 'cc';
const hasCc = spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasCc && !underCi) console.warn(`skipping the native own-GEMM check: no C compiler (${cc})`);

describe.skipIf(!hasCc && !underCi)('the own GEMM on every path this CPU has (C check, native)', () => {
  it('each path is exact on integer inputs, and the x86-64 paths the CPU reports are all checked', () => {
    expect(hasCc, `a C compiler (${cc})`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'own-gemm-native-'));
    try {
      const sources = readdirSync(native).filter((f) => /^own-gemm-.*\.c$/.test(f)).map((f) => join(native, f));
      const exe = join(dir, 'check');
      // with OpenMP where the compiler has it, as the addon is built: the shared-B driver's cases then run on 3 threads
      const build = (flags: string[]) => execFileSync(cc, ['-O2', '-std=gnu11', ...flags, `-I${native}`, check, ...sources, '-o', exe], { stdio: 'pipe' });
      try {
        build(['-fopenmp']);
      } catch {
        build([]);
      }
      const out = execFileSync(exe, { encoding: 'utf8' });
      const paths = [...out.matchAll(/^(\w+): /gm)].map((m) => m[1]);
      expect(paths[0]).toBe('baseline');
      // the CPU's own word (Linux): every x86-64 path its flags allow is among those checked
      if (process.arch === 'x64' && existsSync('/proc/cpuinfo')) {
        const flags = (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').split(/\s+/);
        const avx2 = flags.includes('avx2') && flags.includes('fma');
        expect(paths).toEqual(['baseline', ...(avx2 ? ['avx2'] : []), ...(avx2 && flags.includes('avx512f') ? ['avx512'] : [])]);
      }
      expect(out).toMatch(new RegExp(`^${paths.length * 244} products, 0 failed$`, 'm'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
