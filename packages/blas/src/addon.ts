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
  /** y[yOffset + i] = f(x[xOffset + i]) for i < n; op 0 = tanh, 1 = exp. */
  unary(op: number, x: Float32Array, xOffset: number, y: Float32Array, yOffset: number, n: number): void;
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
