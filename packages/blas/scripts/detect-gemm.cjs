// Decides how the addon is built, by probing the C compiler node-gyp will use:
//   - the GEMM: the system's cblas (OpenBLAS on Linux and elsewhere, Accelerate on macOS) when a test program
//     including <cblas.h> compiles, links and runs; otherwise only the addon's own GEMM;
//   - OpenMP: -fopenmp when the compiler takes it (Apple's clang does not: Homebrew's libomp is tried, else one thread).
// PEFT_BLAS_GEMM at build time: unset or "auto" probes; "own" builds the own GEMM only (no probe: what a machine
// without a system BLAS gets); "system" (or "openblas", "accelerate") requires the system BLAS and fails without it.
// Used by build-native.cjs; `node scripts/detect-gemm.cjs` prints the decision as JSON.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const CBLAS_PROBE = `#include <cblas.h>
int main(void) {
  float a[2] = {1, 2}, b[2] = {3, 4}, c[1] = {0};
  openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 2, 1.0f, a, 2, b, 1, 0.0f, c, 1);
  return openblas_get_config() != 0 && c[0] == 11.0f ? 0 : 1;
}
`;
const ACCELERATE_PROBE = `#define ACCELERATE_NEW_LAPACK 1
#include <Accelerate/Accelerate.h>
int main(void) {
  float a[2] = {1, 2}, b[2] = {3, 4}, c[1] = {0};
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 2, 1.0f, a, 2, b, 1, 0.0f, c, 1);
  return c[0] == 11.0f ? 0 : 1;
}
`;
const OPENMP_PROBE = `#include <omp.h>
int main(void) {
  int n = 0;
#pragma omp parallel reduction(+ : n)
  n += 1;
  return n >= 1 && omp_get_max_threads() >= 1 ? 0 : 1;
}
`;

/** Where a cblas.h of OpenBLAS may live, with the library directory that goes with it. */
function openblasCandidates(env) {
  const out = [];
  const pc = spawnSync('pkg-config', ['--cflags-only-I', '--libs-only-L', 'openblas'], { encoding: 'utf8', env });
  if (pc.status === 0) {
    const inc = (pc.stdout.match(/-I(\S+)/) || [])[1];
    const lib = (pc.stdout.match(/-L(\S+)/) || [])[1];
    if (inc) out.push({ include: inc.replace(/\/+$/, ''), libdir: (lib || '/usr/lib').replace(/\/+$/, '') });
  }
  const triplet = spawnSync(env.CC || 'cc', ['-print-multiarch'], { encoding: 'utf8', env }).stdout?.trim();
  for (const t of triplet ? [triplet] : []) {
    for (const flavour of ['openblas-pthread', 'openblas-openmp', 'openblas-serial']) {
      out.push({ include: `/usr/include/${t}/${flavour}`, libdir: `/usr/lib/${t}/${flavour}` });
    }
    out.push({ include: `/usr/include/${t}`, libdir: `/usr/lib/${t}` });
  }
  out.push(
    { include: '/usr/include/openblas', libdir: '/usr/lib64' },
    { include: '/usr/include', libdir: '/usr/lib' },
    { include: '/usr/local/include', libdir: '/usr/local/lib' },
    { include: '/opt/homebrew/opt/openblas/include', libdir: '/opt/homebrew/opt/openblas/lib' },
    { include: '/usr/local/opt/openblas/include', libdir: '/usr/local/opt/openblas/lib' },
  );
  return out.filter((c) => existsSync(join(c.include, 'cblas.h')));
}

/** Compiles `source` with `flags` and runs it; true when both succeed. */
function probe(dir, name, source, flags, env) {
  const src = join(dir, `${name}.c`);
  const exe = join(dir, name);
  writeFileSync(src, source);
  const cc = spawnSync(env.CC || 'cc', [src, '-o', exe, ...flags], { encoding: 'utf8', env });
  if (cc.status !== 0) return { ok: false, why: (cc.stderr || cc.error?.message || '').split('\n').find((l) => /error/i.test(l)) || 'compile failed' };
  const libdirs = flags.filter((f) => f.startsWith('-L')).map((f) => f.slice(2));
  const run = spawnSync(exe, [], {
    encoding: 'utf8',
    env: { ...env, LD_LIBRARY_PATH: [...libdirs, env.LD_LIBRARY_PATH].filter(Boolean).join(':'), DYLD_LIBRARY_PATH: libdirs.join(':') },
  });
  return run.status === 0 ? { ok: true } : { ok: false, why: `test program exited ${run.status ?? run.error?.message}` };
}

/**
 * The build's variables for binding.gyp and a line on how they were decided.
 * @returns {{ gemm: 'own'|'openblas'|'accelerate', include?: string, libdir?: string, openmp: {cflags: string, ldflags: string}|null, notes: string[], error?: string }}
 */
function detectGemm(env = process.env, platform = process.platform) {
  const want = (env.PEFT_BLAS_GEMM || 'auto').toLowerCase();
  const notes = [];
  const dir = mkdtempSync(join(tmpdir(), 'peft-blas-probe-'));
  try {
    const result = { gemm: 'own', openmp: null, notes };
    // OpenMP
    const ompFlags = [{ cflags: '-fopenmp', ldflags: '-fopenmp' }];
    if (platform === 'darwin') {
      for (const prefix of ['/opt/homebrew/opt/libomp', '/usr/local/opt/libomp']) {
        if (existsSync(prefix)) ompFlags.push({ cflags: `-Xpreprocessor -fopenmp -I${prefix}/include`, ldflags: `-L${prefix}/lib -lomp` });
      }
    }
    for (const f of ompFlags) {
      const r = probe(dir, 'omp', OPENMP_PROBE, [...f.cflags.split(' '), ...f.ldflags.split(' ')], env);
      if (r.ok) {
        result.openmp = f;
        break;
      }
    }
    notes.push(result.openmp ? `OpenMP (${result.openmp.cflags})` : 'no OpenMP in this compiler: one thread');
    // GEMM
    if (!['auto', 'own', 'system', 'openblas', 'accelerate'].includes(want)) {
      return { ...result, error: `PEFT_BLAS_GEMM=${want}: expected own, system or auto` };
    }
    if (want === 'own') {
      notes.push('GEMM: own only (PEFT_BLAS_GEMM=own)');
      return result;
    }
    const tried = [];
    if (platform === 'darwin' && want !== 'openblas') {
      const r = probe(dir, 'accelerate', ACCELERATE_PROBE, ['-framework', 'Accelerate'], env);
      if (r.ok) {
        notes.push('GEMM: own, and Accelerate built in');
        return { ...result, gemm: 'accelerate' };
      }
      tried.push(`Accelerate: ${r.why}`);
    }
    if (want !== 'accelerate') {
      for (const c of openblasCandidates(env)) {
        const r = probe(dir, 'cblas', CBLAS_PROBE, [`-I${c.include}`, `-L${c.libdir}`, '-lopenblas'], env);
        if (r.ok) {
          notes.push(`GEMM: own, and OpenBLAS built in (${c.include}/cblas.h, -L${c.libdir} -lopenblas)`);
          return { ...result, gemm: 'openblas', include: c.include, libdir: c.libdir };
        }
        tried.push(`${c.include}: ${r.why}`);
      }
      if (tried.length === 0) tried.push('no cblas.h of OpenBLAS found');
    }
    if (want !== 'auto') return { ...result, error: `PEFT_BLAS_GEMM=${want} but no system BLAS builds here (${tried.join('; ')})` };
    notes.push(`GEMM: own only (no system BLAS: ${tried.join('; ')})`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { detectGemm };

if (require.main === module) console.log(JSON.stringify(detectGemm()));
