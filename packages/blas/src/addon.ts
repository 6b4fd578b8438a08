import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@peft/core';

/** Which GEMM runs the products: the addon's own, or the system BLAS built in beside it. */
export type GemmName = 'own' | 'openblas' | 'accelerate';
/**
 * The vector path of the own kernels: AVX-512 (the GEMM and the exp/tanh/log loops; AVX2+FMA for the rest) or AVX2+FMA
 * on x86-64, NEON on arm64, or the baseline.
 */
export type IsaName = 'avx512' | 'avx2' | 'neon' | 'baseline';
/** What selectKernels and PEFT_BLAS_ISA take: the CPU's best path (auto) or one path by name. */
export type IsaChoice = 'auto' | IsaName;
const ISA_CHOICES: readonly IsaChoice[] = ['auto', 'avx512', 'avx2', 'neon', 'baseline'];

/** What the addon runs now (src/native/addon.c, kernelInfo). */
export interface KernelInfo {
  readonly gemm: GemmName;
  readonly isa: IsaName;
  /** The paths this CPU can run, best first (always ending in baseline). */
  readonly isas: readonly IsaName[];
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
  /**
   * y[yOffset + i] = a[aOffset + Σ i_d·aStrides_d] ∘ b[bOffset + Σ i_d·bStrides_d] over the index box `shape` (rank
   * 1..8, y contiguous); op 0 add, 1 sub, 2 mul, 3 div.
   */
  binary(op: number, a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, y: Float32Array, yOffset: number, shape: number[], aStrides: number[], bStrides: number[]): void;
  /** y[yOffset + i] = f(x[xOffset + i]) for i < n; op: index in unary-kernels.ts's UNARY_KERNELS. */
  unary(op: number, x: Float32Array, xOffset: number, y: Float32Array, yOffset: number, n: number): void;
  /** x viewed as [rows, cols]: op 0 y[r] = max_c x[r, c]; 1 y[r, :] = softmax(x[r, :]); 2 y[r] = log Σ_c exp x[r, c]. */
  rowwise(op: number, x: Float32Array, xOffset: number, y: Float32Array, yOffset: number, rows: number, cols: number): void;
  /** Per logit row of z [rows, cols] (labels: int32 data through a Float32Array): out [rows, 2] = (lse, smoothed loss). */
  softmaxCrossEntropy(z: Float32Array, zOffset: number, labels: Float32Array, labelsOffset: number, out: Float32Array, outOffset: number, rows: number, cols: number, labelSmoothing: number): void;
  /** g [rows, cols] = w_r·(exp(z − lse_r) − ε/cols − (1 − ε)·onehot(y_r)). */
  softmaxCrossEntropyGrad(
    z: Float32Array, zOffset: number, lse: Float32Array, lseOffset: number, labels: Float32Array, labelsOffset: number,
    weights: Float32Array, weightsOffset: number, g: Float32Array, gOffset: number, rows: number, cols: number, labelSmoothing: number,
  ): void;
  /**
   * LayerNorm over the last axis of x [rows, d]: y = x̂·γ (+ β), x̂ = (x − mean)·rstd, rstd = 1/√(var + eps) [rows];
   * without `centre` (RMSNorm) the mean is 0.
   */
  layerNorm(
    x: Float32Array, xOffset: number, gamma: Float32Array, gammaOffset: number, beta: Float32Array | null, betaOffset: number,
    y: Float32Array, yOffset: number, normed: Float32Array, normedOffset: number, rstd: Float32Array, rstdOffset: number,
    rows: number, d: number, eps: number, centre: boolean,
  ): void;
  /** dx [rows, d] = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ (without `centre`, no mean(g) term). */
  layerNormGrad(
    dy: Float32Array, dyOffset: number, normed: Float32Array, normedOffset: number, rstd: Float32Array, rstdOffset: number,
    gamma: Float32Array, gammaOffset: number, dx: Float32Array, dxOffset: number, rows: number, d: number, centre: boolean,
  ): void;
  /**
   * @peft/core's PeftAdamW over n floats: paramOut, mOut, vOut from param, m, v, grad (scale and gate: the optional
   * scalar inputs' values, with whether each is given), attrs as the kernel's.
   */
  adamW(
    param: Float32Array, paramOffset: number, m: Float32Array, mOffset: number, v: Float32Array, vOffset: number,
    grad: Float32Array, gradOffset: number, paramOut: Float32Array, paramOutOffset: number, mOut: Float32Array, mOutOffset: number,
    vOut: Float32Array, vOutOffset: number, n: number, hasScale: boolean, scale: number, hasGate: boolean, gate: number,
    beta1: number, beta2: number, eps: number, stepSize: number, decay: number,
  ): void;
  /** glibc: blocks under 32 MiB from the heap, and up to trimBytes of free heap top kept; whether it took effect. */
  configureAllocator(trimBytes: number): boolean;
  /** @peft/core's PeftMaskedSoftmax on [B, H, n, m] scores (dims); mask strides as [B, H, n, m] (0 = repeated). */
  maskedSoftmax(
    s: Float32Array, sOffset: number, mask: Float32Array | null, maskOffset: number, maskStrides: number[],
    p: Float32Array, pOffset: number, lse: Float32Array | null, lseOffset: number, pu: Float32Array | null, puOffset: number,
    dims: number[], scale: number, causal: boolean, maskedValue: number,
  ): void;
  /** @peft/core's PeftMaskedSoftmaxGrad over rows = B·H·n rows of m. */
  maskedSoftmaxGrad(
    p: Float32Array, pOffset: number, dp: Float32Array, dpOffset: number, dlse: Float32Array | null, dlseOffset: number,
    pl: Float32Array | null, plOffset: number, ds: Float32Array, dsOffset: number, rows: number, n: number, m: number, scale: number, causal: boolean,
  ): void;
  /**
   * @peft/core's PeftAttentionTiled. buffers/offsets by index: 0 q, 1 k, 2 v, 3 sharedKeys, 4 sharedValues, 5 mask,
   * 6 f, 7 lse, 8 info (int32 data), 9 lseU, 10 lseSh (null where absent); dims [B, H, n, m, p, l, sharedKeysBatched];
   * params [scale, causal, maskedValue, keep, invKeep, dropout]; seed: the dropout stream's seed ('' without dropout).
   */
  attentionTiled(buffers: (Float32Array | null)[], offsets: number[], dims: number[], maskStrides: number[] | null, params: number[], seed: string): void;
  /** @peft/core's PeftAttentionTiledGrad: buffers 0–10 as above, then 11 dF, 12 dLse, 13 dLseU, 14 dLseSh, 15 dQ, 16 dK, 17 dV, 18 dSK, 19 dSV. */
  attentionTiledGrad(buffers: (Float32Array | null)[], offsets: number[], dims: number[], maskStrides: number[] | null, params: number[], seed: string): void;
  /** y[i] = floor(fround(u_i) + keep)·invKeep in float32, u_i the i-th value of tfjs's seeded Alea generator. */
  dropoutMask(seed: string, keep: number, invKeep: number, y: Float32Array, yOffset: number, n: number): void;
  /** The same masks by the plain one-value-at-a-time loop in doubles: the reference for tests and bench/dropout.mjs. */
  dropoutMaskScalar(seed: string, keep: number, invKeep: number, y: Float32Array, yOffset: number, n: number): void;
  /** y [m, n] = x [m, k]·W (W [k, n]) or x·Wᵀ (W [n, k]) for 1 ≤ m ≤ 8: W streamed once, split over the threads. */
  gemv(x: Float32Array, xOffset: number, w: Float32Array, wOffset: number, y: Float32Array, yOffset: number, m: number, n: number, k: number, transposeW: boolean): void;
  setThreads(n: number): void;
  /**
   * Runs the products with the own GEMM or the system BLAS, and the own kernels on the CPU's best path or the one
   * named (a RangeError naming the paths it has when the CPU lacks it).
   */
  selectKernels(gemm: 'own' | 'system', isa: IsaChoice): void;
  /** One thread's register-only FMA throughput on that path in GFLOP/s (per CPU-second), or null where the CPU lacks it. */
  fmaPeak(isa: IsaName, seconds: number): number | null;
  kernelInfo(): KernelInfo;
  config(): string;
}

/** The choice of GEMM and vector path, as PEFT_BLAS_GEMM and PEFT_BLAS_ISA set it at load. */
export interface KernelChoice {
  gemm: 'own' | 'system';
  isa: IsaChoice;
}

let cached: { addon: BlasAddon; atLoad: KernelChoice } | { reason: string } | undefined;

const packageRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..'); // one level above src/ and dist/

/**
 * The choice at load. PEFT_BLAS_GEMM: unset or auto runs the own GEMM where its best path is AVX-512 (measured
 * 1.6–1.9× OpenBLAS 0.3.21 per core here with OPENBLAS_CORETYPE=Haswell, 0.8–1.3× its own AVX-512 kernels; the own
 * path does not hang on OpenBLAS's guess of the core), else the system BLAS where one is built in, else the own GEMM;
 * own runs the own GEMM even where a system BLAS is built in; system (or openblas, accelerate: that one) requires
 * the system BLAS and is a ConfigError without it. PEFT_BLAS_ISA=baseline forces the baseline vector path of the
 * own kernels, avx512 / avx2 / neon that path (for tests and comparisons; a ConfigError at load where the CPU lacks it).
 * `ownBest`: the own GEMM's best path on this CPU (kernelInfo().isas[0]).
 */
export function choiceFromEnv(env: NodeJS.ProcessEnv, systemBuiltIn: 'openblas' | 'accelerate' | null, ownBest: IsaName = 'baseline'): KernelChoice {
  const gemmVar = (env.PEFT_BLAS_GEMM ?? '').toLowerCase();
  const isaVar = (env.PEFT_BLAS_ISA ?? '').toLowerCase();
  if (!['', 'auto', 'own', 'system', 'openblas', 'accelerate'].includes(gemmVar)) {
    throw new ConfigError('PEFT_BLAS_GEMM', `"${env.PEFT_BLAS_GEMM}" is not one of own, system, openblas, accelerate, auto`);
  }
  if (isaVar !== '' && !(ISA_CHOICES as readonly string[]).includes(isaVar)) {
    throw new ConfigError('PEFT_BLAS_ISA', `"${env.PEFT_BLAS_ISA}" is not one of ${ISA_CHOICES.join(', ')}`);
  }
  const wantsSystem = gemmVar === 'system' || gemmVar === 'openblas' || gemmVar === 'accelerate';
  if (wantsSystem && (systemBuiltIn === null || (gemmVar !== 'system' && gemmVar !== systemBuiltIn))) {
    throw new ConfigError(
      'PEFT_BLAS_GEMM',
      `${gemmVar} was asked for, but @peft/blas was built ${systemBuiltIn ? `with ${systemBuiltIn}` : 'with its own GEMM only (no system BLAS found at build)'}`,
    );
  }
  const isa: IsaChoice = isaVar === '' ? 'auto' : (isaVar as IsaChoice);
  // the own GEMM's path as it will run: the CPU's best unless PEFT_BLAS_ISA names one
  const ownPath = isa === 'auto' ? ownBest : isa;
  const gemm = gemmVar === 'own' || systemBuiltIn === null || (!wantsSystem && ownPath === 'avx512') ? 'own' : 'system';
  return { gemm, isa };
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
  const info = addon.kernelInfo();
  const atLoad = choiceFromEnv(process.env, info.systemGemm, info.isas[0]);
  if (atLoad.isa !== 'auto' && !info.isas.includes(atLoad.isa)) {
    throw new ConfigError('PEFT_BLAS_ISA', `this CPU has no ${atLoad.isa} path (it has: ${info.isas.join(', ')})`);
  }
  addon.selectKernels(atLoad.gemm, atLoad.isa);
  cached = { addon, atLoad };
  return cached;
}
