import type * as tf from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { type CpuBackendLike, type WasmBackendLike, cpuValues, wasmHeap, wasmOffset } from './backend-access.js';
import { gemmGeometry, type GemmGeometry } from './geometry.js';

/**
 * Products of at most this many rows (decoding: one new position per sequence) go to the addon's gemv, which streams
 * W once; OpenBLAS's sgemm packs W first at m = 1.
 */
export const GEMV_MAX_ROWS = 8;

/** BatchMatMul through OpenBLAS for every form one batched GEMM expresses; tfjs's own kernel otherwise. */
export function gemmKernel(backendName: string, original: tf.KernelFunc, addon: BlasAddon): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const g = a.dtype === 'float32' && b.dtype === 'float32' ? gemmGeometry(a.shape, b.shape, transposeA, transposeB) : null;
    if (!g) return original(args);
    return backendName === 'wasm'
      ? wasmGemm(args.backend as WasmBackendLike, a, b, g, transposeA, transposeB, addon)
      : cpuGemm(args.backend as CpuBackendLike, a, b, g, transposeA, transposeB, addon);
  };
}

/** Whether a product is one few-row x·W or x·Wᵀ (gemv.c). */
function fewRows(g: GemmGeometry, ta: boolean): boolean {
  return g.batch === 1 && g.m <= GEMV_MAX_ROWS && !ta;
}

function wasmGemm(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, g: GemmGeometry, ta: boolean, tb: boolean, addon: BlasAddon): tf.TensorInfo {
  const out = backend.makeOutput(g.outShape, 'float32');
  const heap = wasmHeap(backend);
  if (fewRows(g, ta)) {
    addon.gemv(heap, wasmOffset(backend, a), heap, wasmOffset(backend, b), heap, wasmOffset(backend, out), g.m, g.n, g.k, tb);
    return out;
  }
  addon.sgemmBatched(heap, wasmOffset(backend, a), heap, wasmOffset(backend, b), heap, wasmOffset(backend, out), g.batch, g.m, g.n, g.k, ta, tb, g.strideA, g.strideB);
  return out;
}

function cpuGemm(backend: CpuBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, g: GemmGeometry, ta: boolean, tb: boolean, addon: BlasAddon): tf.TensorInfo {
  const out = new Float32Array(g.batch * g.m * g.n);
  if (fewRows(g, ta)) {
    addon.gemv(cpuValues(backend, a), 0, cpuValues(backend, b), 0, out, 0, g.m, g.n, g.k, tb);
    return backend.makeTensorInfo(g.outShape, 'float32', out);
  }
  addon.sgemmBatched(cpuValues(backend, a), 0, cpuValues(backend, b), 0, out, 0, g.batch, g.m, g.n, g.k, ta, tb, g.strideA, g.strideB);
  return backend.makeTensorInfo(g.outShape, 'float32', out);
}
