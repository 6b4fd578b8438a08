import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// How the build decides what to compile (scripts/detect-gemm.cjs): the probes run the real compiler.
type Detected = { gemm: string; include?: string; openmp: { cflags: string } | null; notes: string[]; error?: string };
const { detectGemm } = createRequire(import.meta.url)('../scripts/detect-gemm.cjs') as {
  detectGemm(env: NodeJS.ProcessEnv, platform?: string): Detected;
};
const env = { ...process.env, PEFT_BLAS_GEMM: '' };

describe('detect-gemm: what the addon is built with', () => {
  it('PEFT_BLAS_GEMM=own builds the own GEMM alone without probing for a system BLAS', () => {
    const d = detectGemm({ ...env, PEFT_BLAS_GEMM: 'own' }, 'linux');
    expect(d.gemm).toBe('own');
    expect(d.include).toBeUndefined();
    expect(d.notes.join()).toContain('PEFT_BLAS_GEMM=own');
  });

  it('finds OpenBLAS where its header and library are installed, and says where', () => {
    const d = detectGemm(env, 'linux');
    if (existsSync('/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h') || existsSync('/usr/include/aarch64-linux-gnu/openblas-pthread/cblas.h')) {
      expect(d.gemm).toBe('openblas');
      expect(d.include).toMatch(/openblas/);
    } else {
      expect(d.gemm).toBe('own');
      expect(d.notes.join()).toMatch(/no system BLAS/);
    }
    expect(d.openmp?.cflags).toBe('-fopenmp'); // gcc and clang on Linux have it
  });

  it('without a working compiler: no OpenMP, the own GEMM, and an error only when a system BLAS was demanded', () => {
    const broken = { ...env, CC: 'false' };
    const d = detectGemm(broken, 'linux');
    expect(d.openmp).toBeNull();
    expect(d.gemm).toBe('own');
    expect(d.error).toBeUndefined();
    const demanded = detectGemm({ ...broken, PEFT_BLAS_GEMM: 'system' }, 'linux');
    expect(demanded.error).toMatch(/PEFT_BLAS_GEMM=system but no system BLAS builds here/);
    expect(detectGemm({ ...env, PEFT_BLAS_GEMM: 'mkl' }, 'linux').error).toMatch(/expected own, system or auto/);
  });
});
