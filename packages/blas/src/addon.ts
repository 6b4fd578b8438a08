import { createRequire } from 'node:module';

/** The native addon's functions (src/native/blas.c). */
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
  config(): string;
}

let cached: { addon: BlasAddon } | { reason: string } | undefined;

/** Loads build/Release/peft_blas.node (one level above src/ and dist/), once. */
export function loadAddon(): { addon: BlasAddon } | { reason: string } {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    cached = { addon: require('../build/Release/peft_blas.node') as BlasAddon };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    cached = {
      reason: `native addon not built (${msg}); install libopenblas-dev and a C compiler, then rebuild @peft/blas`,
    };
  }
  return cached;
}
