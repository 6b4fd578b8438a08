import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { underCi } from './addon-gate.js';

// Alea's jump-ahead (128-bit arithmetic) and the mask lanes' baseline path on arm64, which this x86-64 machine runs
// under qemu: the C check test/native/alea-check.c, cross-compiled and run. Needs Debian's gcc-aarch64-linux-gnu and
// qemu-user (as own-gemm-arm64.e2e.test.ts).
const native = new URL('../src/native/', import.meta.url).pathname;
const check = new URL('./native/alea-check.c', import.meta.url).pathname;
const nodeHeaders = join(dirname(process.execPath), '..', 'include', 'node');
const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const tools = has('aarch64-linux-gnu-gcc') && has('qemu-aarch64');
if (!tools && !underCi) console.warn('skipping the arm64 Alea check: needs aarch64-linux-gnu-gcc and qemu-aarch64 (apt-get install gcc-aarch64-linux-gnu qemu-user)');

describe.skipIf(!tools && !underCi)('Alea on arm64 (cross-compiled, under qemu)', () => {
  it('the jump-ahead and the baseline lanes give the same bits as on x86-64', () => {
    expect(tools, 'aarch64-linux-gnu-gcc and qemu-aarch64 are installed').toBe(true);
    expect(existsSync(join(nodeHeaders, 'node_api.h')), `Node's headers in ${nodeHeaders}`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'alea-arm64-'));
    try {
      const exe = join(dir, 'check');
      execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-std=gnu11', '-static', `-I${nodeHeaders}`, `-I${native}`, check, join(native, 'alea-lanes.c'), '-o', exe, '-lm']);
      const out = execFileSync('qemu-aarch64', [exe], { encoding: 'utf8', timeout: 300_000 });
      expect(out).toMatch(/^1000144 products, 0 failed$/m);
      expect(out).toMatch(/^36 jumps, 0 failed$/m);
      expect(out).toMatch(/^lanes baseline: 32000 values, 0 failed$/m);
      expect(out).not.toMatch(/^lanes avx/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
