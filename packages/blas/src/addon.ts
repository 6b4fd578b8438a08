import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@peft/core';

/** Which GEMM runs the products: the addon's own, or the system BLAS built in beside it. */
export type GemmName = 'own' | 'openblas' | 'accelerate';
/** The vector path of the own kernels: the CPU's best (AVX2+FMA on x86-64, NEON on arm64) or the baseline. */
export type IsaName = 'avx2' | 'neon' | 'baseline';

/** What the addon runs now (src/native/addon.c, kernelInfo). */
export interface KernelInfo {
  readonly gemm: GemmName;
  readonly isa: IsaName;
  /** The system BLAS the build found and compiled in, or null (the own GEMM only). */
  readonly systemGemm: 'openblas' | 'accelerate' | null;
  readonly openmp: boolean;
  readonly threads: number;
}

/** The native addon's functions (src/native/*.c). */
export interface BlasAddon {
  sgemmBatched(
    a: Float32Array, aOffset: number,
    b: Float32Array, bOffset: number,
    c: Float32Array, cOffset: number,
    batch: number, m: number, n: number, k: number,
    transposeA: boolean, transposeB: boolean,
    strideA: number, strideB: number,
  ): void;
  /**
   * y[yOffset + i] = f(x[xOffset + i]) for i < n with op 0 = tanh, 1 = exp, 2 = gelu_new; op 3 = gelu_new's
   * derivative times dy[dyOffset + i]. Vectorised, on all cores above 64 Ki elements.
   */
  elementwise(op: number, x: Float32Array, xOffset: number, dy: Float32Array, dyOffset: number, y: Float32Array, yOffset: number, n: number): void;
  /** dst[dstOffset + Σ i_d·dstStrides_d] = src[srcOffset + Σ i_d·srcStrides_d] over the index box `shape` (4-byte elements). */
  stridedCopy(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, shape: number[], srcStrides: number[], dstStrides: number[]): void;
  /** x viewed as [outer, inner]: y[o] = scale·Σ_i x[o, i] (rows) or y[i] = scale·Σ_o x[o, i] (columns). */
  reduceSum(x: Float32Array, xOffset: number, y: Float32Array, yOffset: number, outer: number, inner: number, columns: boolean, scale: number): void;
  setThreads(n: number): void;
  /** Runs the products with the own GEMM or the system BLAS, and the own kernels on the CPU's best path or the baseline. */
  selectKernels(gemm: 'own' | 'system', isa: 'auto' | 'baseline'): void;
  kernelInfo(): KernelInfo;
  config(): string;
}

/** The choice of GEMM and vector path, as PEFT_BLAS_GEMM and PEFT_BLAS_ISA set it at load. */
export interface KernelChoice {
  gemm: 'own' | 'system';
  isa: 'auto' | 'baseline';
}

let cached: { addon: BlasAddon; atLoad: KernelChoice } | { reason: string } | undefined;

const packageRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..'); // one level above src/ and dist/

/**
 * The choice at load. PEFT_BLAS_GEMM: unset or auto runs the system BLAS where one is built in, else the own GEMM;
 * own runs the own GEMM even where a system BLAS is built in; system (or openblas, accelerate: that one) requires
 * the system BLAS and is a ConfigError without it. PEFT_BLAS_ISA=baseline forces the baseline vector path of the
 * own kernels (for tests and comparisons).
 */
export function choiceFromEnv(env: NodeJS.ProcessEnv, systemBuiltIn: 'openblas' | 'accelerate' | null): KernelChoice {
  const gemmVar = (env.PEFT_BLAS_GEMM ?? '').toLowerCase();
  const isaVar = (env.PEFT_BLAS_ISA ?? '').toLowerCase();
  if (!['', 'auto', 'own', 'system', 'openblas', 'accelerate'].includes(gemmVar)) {
    throw new ConfigError('PEFT_BLAS_GEMM', `"${env.PEFT_BLAS_GEMM}" is not one of own, system, openblas, accelerate, auto`);
  }
  if (!['', 'auto', 'baseline'].includes(isaVar)) {
    throw new ConfigError('PEFT_BLAS_ISA', `"${env.PEFT_BLAS_ISA}" is not one of auto, baseline`);
  }
  const wantsSystem = gemmVar === 'system' || gemmVar === 'openblas' || gemmVar === 'accelerate';
  if (wantsSystem && (systemBuiltIn === null || (gemmVar !== 'system' && gemmVar !== systemBuiltIn))) {
    throw new ConfigError(
      'PEFT_BLAS_GEMM',
      `${gemmVar} was asked for, but @peft/blas was built ${systemBuiltIn ? `with ${systemBuiltIn}` : 'with its own GEMM only (no system BLAS found at build)'}`,
    );
  }
  const gemm = gemmVar === 'own' || systemBuiltIn === null ? 'own' : 'system';
  return { gemm, isa: isaVar === 'baseline' ? 'baseline' : 'auto' };
}

/** The lines of build/native-build.log that say why the build failed (or that there is no log). */
function buildFailure(): string {
  try {
    const text = readFileSync(join(packageRoot, 'build', 'native-build.log'), 'utf8');
    const lines = text.split('\n');
    const errors = lines.filter((l) => /error|not found|fatal/i.test(l) && !/^gyp info/.test(l)).slice(0, 4);
    return `build log (build/native-build.log): ${(errors.length ? errors : lines.slice(0, 2)).map((l) => l.trim()).join(' | ')}`;
  } catch {
    return 'no build log: the install script (scripts/build-native.cjs) did not run';
  }
}

/** Loads build/Release/peft_blas.node once and applies PEFT_BLAS_GEMM / PEFT_BLAS_ISA. */
export function loadAddon(): { addon: BlasAddon; atLoad: KernelChoice } | { reason: string } {
  if (cached) return cached;
  let addon: BlasAddon;
  try {
    const require = createRequire(import.meta.url);
    addon = require(join(packageRoot, 'build', 'Release', 'peft_blas.node')) as BlasAddon;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    cached = {
      reason: `native addon not built (${msg}); it needs a C compiler (Debian: apt-get install build-essential), then rebuild @peft/blas (npm rebuild @peft/blas); ${buildFailure()}`,
    };
    return cached;
  }
  const atLoad = choiceFromEnv(process.env, addon.kernelInfo().systemGemm);
  addon.selectKernels(atLoad.gemm, atLoad.isa);
  cached = { addon, atLoad };
  return cached;
}
