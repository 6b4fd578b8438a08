import type * as tf from '@tensorflow/tfjs-core';

// The parts of the backends' classes the kernels use (tfjs-backend-wasm / -cpu internals, pinned at 4.22).
export interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
}
export interface CpuBackendLike {
  data: { get(id: object): { values?: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** The whole wasm heap as floats. Take it after allocating outputs: allocation may grow (and replace) the heap. */
export function wasmHeap(backend: WasmBackendLike): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

/** Where a tensor's data starts in the wasm heap, in floats. */
export function wasmOffset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset / 4;
}

/** The cpu backend's values of a float32 tensor as a Float32Array (some kernels store other array types). */
export function cpuValues(backend: CpuBackendLike, t: tf.TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v ?? []);
}
