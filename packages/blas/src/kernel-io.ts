import { util, type DataType, type TensorInfo } from '@tensorflow/tfjs-core';
import { type CpuBackendLike, type WasmBackendLike, wasmHeap, wasmOffset } from './backend-access.js';

/** Where a tensor's 4-byte elements live: a Float32Array view (whatever the 4-byte dtype) and an element offset. */
export interface DataView32 {
  readonly array: Float32Array;
  readonly offset: number;
}

/**
 * The one difference between the two backends a native kernel sees: on wasm every tensor is a range of the wasm heap
 * (outputs are allocated by the backend, and the heap may grow — and be replaced — while allocating, so views are taken
 * after every output exists); on cpu every tensor owns a typed array, and an output is a new array the backend holds
 * from the start (it is written in place).
 */
export interface KernelIo {
  /** A new output tensor of a 4-byte dtype. */
  output(shape: readonly number[], dtype?: DataType): TensorInfo;
  /** The views of tensors (inputs or outputs of this call); take them after the last `output`. */
  view(t: TensorInfo): DataView32;
}

const FOUR_BYTES = new Set<DataType>(['float32', 'int32']);

/** Whether a dtype is one the native kernels can move (4-byte elements). */
export function fourByte(dtype: DataType): boolean {
  return FOUR_BYTES.has(dtype);
}

/** A tensor's values as 4-byte elements seen through a Float32Array: the array itself, or a copy of other storage. */
function as32(values: ArrayLike<number> | undefined, dtype: DataType): Float32Array {
  if (values instanceof Float32Array) return values;
  if (values instanceof Int32Array || values instanceof Uint32Array) return new Float32Array(values.buffer, values.byteOffset, values.length);
  if (values === undefined || !fourByte(dtype)) throw new TypeError(`@peft/blas: a ${dtype} tensor without values reached a native kernel`);
  // some tfjs-cpu kernels store plain arrays or other typed arrays
  const copy = dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
  return copy instanceof Float32Array ? copy : new Float32Array(copy.buffer);
}

export function kernelIo(backendName: string, backend: unknown): KernelIo {
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike;
    let heap: Float32Array | null = null;
    return {
      output: (shape, dtype = 'float32') => {
        heap = null;
        return b.makeOutput([...shape], dtype);
      },
      view: (t) => ({ array: (heap ??= wasmHeap(b)), offset: wasmOffset(b, t) }),
    };
  }
  const b = backend as CpuBackendLike & { data: { get(id: object): { values?: ArrayLike<number> } } };
  const made = new Map<object, Float32Array>();
  return {
    output: (shape, dtype = 'float32') => {
      const n = util.sizeFromShape([...shape]);
      const values = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
      const info = b.makeTensorInfo([...shape], dtype, values as Float32Array);
      made.set(info.dataId, as32(values, dtype));
      return info;
    },
    view: (t) => ({ array: made.get(t.dataId) ?? as32(b.data.get(t.dataId).values, t.dtype), offset: 0 }),
  };
}
