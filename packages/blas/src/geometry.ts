import { broadcast_util, util } from '@tensorflow/tfjs-core';

/** The shape of a BatchMatMul as one batched GEMM, or null when it needs tfjs's general kernel. */
export interface GemmGeometry {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Floats between consecutive batch items of each operand; 0 broadcasts it. */
  readonly strideA: number;
  readonly strideB: number;
  readonly outShape: number[];
}

export function gemmGeometry(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): GemmGeometry | null {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const kA = transposeA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const kB = transposeB ? bShape[rb - 1]! : bShape[rb - 2]!;
  const n = transposeB ? bShape[rb - 2]! : bShape[rb - 1]!;
  if (kA !== kB) return null; // let tfjs raise its own error
  const outer = broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  const batch = util.sizeFromShape(outer);
  const batchA = util.sizeFromShape(aShape.slice(0, -2));
  const batchB = util.sizeFromShape(bShape.slice(0, -2));
  // one operand broadcast whole, or both of the full batch; anything finer goes to tfjs
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  if (batch === 0 || m === 0 || n === 0 || kA === 0) return null;
  return {
    batch, m, n, k: kA,
    strideA: batchA === 1 ? 0 : m * kA,
    strideB: batchB === 1 ? 0 : kA * n,
    outShape: [...outer, m, n],
  };
}
