import { backend_util, util, type TensorInfo, type KernelFunc } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { type WasmBackendLike, wasmHeap, wasmOffset } from './backend-access.js';
import { splitCopies, tileCopy, type StridedCopy } from './copy-geometry.js';

// Copy kernels for the wasm backend. tfjs-wasm's Identity copies the data (and the engine clones, through Identity,
// every tensor it saves for the backward pass); its SplitV and Tile walk one element at a time.

const FOUR_BYTES = new Set(['float32', 'int32']);

/** Identity without a copy: the output shares the input's data, as tfjs's Reshape does (tensors are immutable). */
export function identityKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

function copy(backend: WasmBackendLike, addon: BlasAddon, x: TensorInfo, out: TensorInfo, c: StridedCopy): void {
  const heap = wasmHeap(backend);
  addon.stridedCopy(heap, wasmOffset(backend, x) + c.srcOffset, heap, wasmOffset(backend, out) + c.dstOffset, c.shape, c.srcStrides, c.dstStrides);
}

export function splitKernel(original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!FOUR_BYTES.has(x.dtype) || x.shape.length === 0) return original(args);
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const ax = util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x as never, numOrSizeSplits, ax) as number[];
    const backend = args.backend as unknown as WasmBackendLike;
    const empty = util.sizeFromShape(x.shape) === 0;
    return splitCopies(x.shape, sizes, ax).map((c, i) => {
      const out = backend.makeOutput(x.shape.map((s, d) => (d === ax ? sizes[i]! : s)), x.dtype);
      if (sizes[i]! > 0 && !empty) copy(backend, addon, x, out, c);
      return out;
    });
  };
}

export function tileKernel(original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { reps } = args.attrs as { reps: number[] };
    if (!FOUR_BYTES.has(x.dtype) || x.shape.length === 0 || reps.length !== x.shape.length) return original(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(x.shape.map((s, d) => s * reps[d]!), x.dtype);
    if (util.sizeFromShape(out.shape) > 0) copy(backend, addon, x, out, tileCopy(x.shape, reps));
    return out;
  };
}
