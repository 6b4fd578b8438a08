import { backend_util, slice_util, util, type TensorInfo, type KernelFunc } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import type { WasmBackendLike } from './backend-access.js';
import { concatCopies, padCopy, sliceCopy, splitCopies, tileCopy, transposeCopy, type StridedCopy } from './copy-geometry.js';
import { fourByte, kernelIo, type KernelIo } from './kernel-io.js';

// Copy kernels: each a strided copy of 4-byte elements (float32 or int32) done natively. tfjs-wasm's Identity copies
// the data (and the engine clones, through Identity, every tensor it saves for the backward pass); its SplitV and
// Tile walk one element at a time; tfjs-cpu does every one of them through per-element index arithmetic in JavaScript.

/** Identity without a copy on wasm: the output shares the input's data, as tfjs's Reshape does (tensors are immutable). */
export function identityKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

function copy(io: KernelIo, addon: BlasAddon, x: TensorInfo, out: TensorInfo, c: StridedCopy): void {
  const [vx, vy] = [io.view(x), io.view(out)];
  addon.stridedCopy(vx.array, vx.offset + c.srcOffset, vy.array, vy.offset + c.dstOffset, c.shape, c.srcStrides, c.dstStrides);
}

const empty = (shape: readonly number[]) => util.sizeFromShape([...shape]) === 0;

export function splitKernel(backendName: string, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!fourByte(x.dtype) || x.shape.length === 0) return original(args);
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const ax = util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x as never, numOrSizeSplits, ax) as number[];
    const io = kernelIo(backendName, args.backend);
    const outs = sizes.map((size) => io.output(x.shape.map((s, d) => (d === ax ? size : s)), x.dtype));
    if (!empty(x.shape)) splitCopies(x.shape, sizes, ax).forEach((c, i) => sizes[i]! > 0 && copy(io, addon, x, outs[i]!, c));
    return outs;
  };
}

export function tileKernel(backendName: string, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { reps } = args.attrs as { reps: number[] };
    if (!fourByte(x.dtype) || x.shape.length === 0 || reps.length !== x.shape.length) return original(args);
    const io = kernelIo(backendName, args.backend);
    const out = io.output(x.shape.map((s, d) => s * reps[d]!), x.dtype);
    if (!empty(out.shape)) copy(io, addon, x, out, tileCopy(x.shape, reps));
    return out;
  };
}

export function transposeKernel(backendName: string, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    if (!fourByte(x.dtype) || x.shape.length === 0 || perm.length !== x.shape.length) return original(args);
    const io = kernelIo(backendName, args.backend);
    const out = io.output(perm.map((p) => x.shape[p]!), x.dtype);
    if (!empty(out.shape)) copy(io, addon, x, out, transposeCopy(x.shape, perm));
    return out;
  };
}

/** Slices that are not one contiguous run (tfjs-cpu returns those as a view, free). */
export function sliceKernel(backendName: string, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!fourByte(x.dtype) || x.shape.length === 0) return original(args);
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [b, s] = slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
    slice_util.assertParamsValid(x, b, s);
    // tfjs-cpu copies a contiguous run with one subarray; tfjs-wasm copies every slice element by element (15 ms for
    // one contiguous [798,720] run, the fused attention's outputs: 0.4 s of a GPT-2-small step), so wasm takes ours
    if (backendName === 'cpu' && slice_util.isSliceContinous(x.shape, b, s)) return original(args);
    const io = kernelIo(backendName, args.backend);
    const out = io.output(s, x.dtype);
    if (!empty(s)) copy(io, addon, x, out, sliceCopy(x.shape, b, s));
    return out;
  };
}

export function concatKernel(backendName: string, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const xs = args.inputs as unknown as TensorInfo[];
    const { axis } = args.attrs as { axis: number };
    if (xs.length < 2 || !fourByte(xs[0]!.dtype) || xs.some((t) => t.dtype !== xs[0]!.dtype || t.shape.length !== xs[0]!.shape.length)) return original(args);
    const ax = util.parseAxisParam(axis, xs[0]!.shape)[0]!;
    backend_util.assertParamsConsistent(xs.map((t) => t.shape), ax);
    const io = kernelIo(backendName, args.backend);
    const out = io.output(backend_util.computeOutShape(xs.map((t) => t.shape), ax), xs[0]!.dtype);
    concatCopies(xs.map((t) => t.shape), ax).forEach((c, i) => !empty(xs[i]!.shape) && copy(io, addon, xs[i]!, out, c));
    return out;
  };
}

export function padKernel(backendName: string, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { paddings, constantValue } = args.attrs as { paddings: [number, number][]; constantValue: number };
    if (!fourByte(x.dtype) || x.shape.length === 0 || paddings.length !== x.shape.length) return original(args);
    const io = kernelIo(backendName, args.backend);
    const out = io.output(x.shape.map((s, d) => paddings[d]![0] + s + paddings[d]![1]), x.dtype);
    const vy = io.view(out);
    const n = util.sizeFromShape(out.shape);
    if (x.dtype === 'int32') new Int32Array(vy.array.buffer, vy.array.byteOffset, vy.array.length).fill(constantValue, vy.offset, vy.offset + n);
    else vy.array.fill(constantValue, vy.offset, vy.offset + n);
    if (!empty(x.shape)) copy(io, addon, x, out, padCopy(x.shape, paddings));
    return out;
  };
}

/** gather(x, indices, axis) without batch dimensions: blocks of the inner axes copied by index (bit-exact, as int32). */
export function gatherKernel(backendName: string, original: KernelFunc): KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
    if (!fourByte(x.dtype) || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0 || x.shape.length === 0) return original(args);
    const ax = util.parseAxisParam(axis, x.shape)[0]!;
    const io = kernelIo(backendName, args.backend);
    const idx = Int32Array.from(ints(io.view(indices), util.sizeFromShape(indices.shape)));
    const dim = x.shape[ax]!;
    if (idx.some((i) => !(i >= 0 && i < dim))) return original(args); // tfjs raises its own error
    const outer = util.sizeFromShape(x.shape.slice(0, ax));
    const inner = util.sizeFromShape(x.shape.slice(ax + 1));
    const out = io.output([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
    const src = ints(io.view(x), util.sizeFromShape(x.shape));
    const dst = ints(io.view(out), util.sizeFromShape(out.shape));
    let at = 0;
    for (let o = 0; o < outer; o++) {
      for (const i of idx) {
        const from = (o * dim + i) * inner;
        if (inner === 1) dst[at] = src[from]!;
        else dst.set(src.subarray(from, from + inner), at);
        at += inner;
      }
    }
    return out;
  };
}

/** The n 4-byte elements of a view as an Int32Array (copies through it are bit-exact for float32 too). */
function ints(v: { array: Float32Array; offset: number }, n: number): Int32Array {
  return new Int32Array(v.array.buffer, v.array.byteOffset + v.offset * 4, n);
}
