// The own GEMM's AVX-512 cache blocks and C-tile prefetch, measured: scripts/bench/gemm-blocks.c links the path as
// the addon builds it beside the same source built with `alt` settings (default: the blocks before round 4's second
// pass, KC 192 · MC 240 · NC 768, no C prefetch) and runs each GPT-2-small product with both, alternately, on 1 and
// 2 threads. Prints one JSON line per product; built_over_alt > 1 means the built settings are faster.
// Usage: node scripts/bench/gemm-blocks.mjs [kc=192] [mc=240] [nc=768] [prefetch=0] [narrow=1] [threads=1,2] [cold=0]
// Large products run as the addon runs them: the threads sharing packed blocks (sgemm_threads) where that applies.
// cold=1 writes 64 MiB between timed calls, so that each finds its operands out of cache as in a step; from one minute
// to the next the machine itself moves a product's rate by ~5 % either way.
// narrow=0 builds alt without the transposed path for narrow products (n ≤ NR/2: the inducer's ranks 5 and 12).
// Results have moved by up to ~10 % from one link order to the other on paths that read an operand in place: compare a
// setting with itself (alt = the built settings: kc=768 mc=96 nc=768 prefetch=1) before trusting a gain.
// Needs an x86-64 CPU with AVX-512F and a C compiler with OpenMP (cc, or $CC).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const native = new URL('../../packages/blas/src/native/', import.meta.url).pathname;
const here = new URL('.', import.meta.url).pathname;
const cc = process.env.CC ?? 'cc';
const dir = mkdtempSync(join(tmpdir(), 'gemm-blocks-'));
const flags = ['-O3', '-std=gnu11', '-fno-math-errno', '-fno-trapping-math', '-fopenmp', `-I${native}`];
const avx512 = `${native}own-gemm-avx512.c`;
execFileSync(cc, [...flags, '-c', avx512, '-o', join(dir, 'built.o')]);
execFileSync(cc, [...flags, '-c', avx512, '-o', join(dir, 'alt.o'), '-Down_gemm_avx512=own_gemm_avx512_alt',
  `-DOG_KC=${args.kc ?? 192}`, `-DOG_MC=${args.mc ?? 240}`, `-DOG_NC=${args.nc ?? 768}`, `-DOG_PREFETCH_C=${args.prefetch ?? 0}`, `-DOG_NARROW_TRANSPOSED=${args.narrow ?? 1}`]);
const exe = join(dir, 'gemm-blocks');
execFileSync(cc, [...flags, `${here}gemm-blocks.c`, join(dir, 'built.o'), join(dir, 'alt.o'), `${native}own-gemm-scratch.c`, '-o', exe]);
console.error(`alt: KC ${args.kc ?? 192} · MC ${args.mc ?? 240} · NC ${args.nc ?? 768} · C prefetch ${args.prefetch ?? 0} · narrow transposed ${args.narrow ?? 1}`);
for (const t of (args.threads ?? '1,2').split(',')) process.stdout.write(execFileSync(exe, [t, args.cold ?? '0'], { encoding: 'utf8' }));
