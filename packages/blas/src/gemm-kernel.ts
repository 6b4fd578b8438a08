import type * as tf from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { type CpuBackendLike, type WasmBackendLike, cpuValues, wasmHeap, wasmOffset } from './backend-access.js';
import { gemmGeometry, type GemmGeometry } from './geometry.js';

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

function wasmGemm(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, g: GemmGeometry, ta: boolean, tb: boolean, addon: BlasAddon): tf.TensorInfo {
  const out = backend.makeOutput(g.outShape, 'float32');
  const heap = wasmHeap(backend);
  addon.sgemmBatched(heap, wasmOffset(backend, a), heap, wasmOffset(backend, b), heap, wasmOffset(backend, out), g.batch, g.m, g.n, g.k, ta, tb, g.strideA, g.strideB);
  return out;
}

function cpuGemm(backend: CpuBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, g: GemmGeometry, ta: boolean, tb: boolean, addon: BlasAddon): tf.TensorInfo {
  const out = new Float32Array(g.batch * g.m * g.n);
  addon.sgemmBatched(cpuValues(backend, a), 0, cpuValues(backend, b), 0, out, 0, g.batch, g.m, g.n, g.k, ta, tb, g.strideA, g.strideB);
  return backend.makeTensorInfo(g.outShape, 'float32', out);
}
