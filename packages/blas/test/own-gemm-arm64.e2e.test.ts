import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { underCi } from './addon-gate.js';

// The own GEMM's NEON path (and the baseline one) on arm64, which this x86-64 machine runs under qemu: the C check
// test/native/own-gemm-check.c, cross-compiled and run. Needs Debian's gcc-aarch64-linux-gnu and qemu-user.
const native = new URL('../src/native/', import.meta.url).pathname;
const check = new URL('./native/own-gemm-check.c', import.meta.url).pathname;
const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const tools = has('aarch64-linux-gnu-gcc') && has('qemu-aarch64');
if (!tools && !underCi) console.warn('skipping the arm64 check: needs aarch64-linux-gnu-gcc and qemu-aarch64 (apt-get install gcc-aarch64-linux-gnu qemu-user)');

describe.skipIf(!tools && !underCi)('the own GEMM on arm64 (cross-compiled, under qemu)', () => {
  it('NEON and baseline paths are exact on integer inputs: four transpose forms, odd sizes, past every cache block', () => {
    expect(tools, 'aarch64-linux-gnu-gcc and qemu-aarch64 are installed').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'own-gemm-arm64-'));
    try {
      const sources = readdirSync(native).filter((f) => /^own-gemm-.*\.c$/.test(f)).map((f) => join(native, f));
      const exe = join(dir, 'check');
      execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-std=gnu11', '-static', `-I${native}`, check, ...sources, '-o', exe]);
      const out = execFileSync('qemu-aarch64', [exe], { encoding: 'utf8' });
      expect(out).toMatch(/^neon: NEON 8x12 micro-kernel$/m);
      expect(out).toMatch(/^baseline: /m);
      expect(out).toMatch(/^488 products, 0 failed$/m); // 244 a path: the shared-B driver on one thread here (no OpenMP)
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
