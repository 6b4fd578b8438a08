import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { kernelIo } from './kernel-io.js';

/** The addon's row ops (src/native/rows.c). */
export const RowOp = { max: 0, softmax: 1, logSumExp: 2 } as const;

/** Softmax over the last axis of a float32 tensor, natively; tfjs's kernel for any other axis. */
export function softmaxKernel(backendName: string, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { logits } = args.inputs as { logits: TensorInfo };
    const { dim } = args.attrs as { dim: number };
    const r = logits.shape.length;
    if (logits.dtype !== 'float32' || r === 0 || (dim !== -1 && dim !== r - 1)) return original(args);
    const cols = logits.shape[r - 1]!;
    const io = kernelIo(backendName, args.backend);
    const out = io.output(logits.shape);
    const n = util.sizeFromShape(logits.shape);
    if (n === 0) return out;
    const [vx, vy] = [io.view(logits), io.view(out)];
    addon.rowwise(RowOp.softmax, vx.array, vx.offset, vy.array, vy.offset, n / cols, cols);
    return out;
  };
}

/** Max over trailing axes of a float32 tensor, natively; tfjs's kernel for other axes. */
export function maxKernel(backendName: string, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { reductionIndices, keepDims } = args.attrs as { reductionIndices: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return original(args);
    const r = x.shape.length;
    const axes = [...new Set(util.parseAxisParam(reductionIndices, x.shape))].sort((p, q) => p - q);
    const k = axes.length;
    if (k === 0 || !axes.every((a, i) => a === r - k + i)) return original(args);
    const cols = util.sizeFromShape(x.shape.slice(r - k));
    if (cols === 0) return original(args);
    const outShape = keepDims ? x.shape.map((s, d) => (d >= r - k ? 1 : s)) : x.shape.slice(0, r - k);
    const io = kernelIo(backendName, args.backend);
    const out = io.output(outShape);
    const rows = util.sizeFromShape(x.shape.slice(0, r - k));
    if (rows === 0) return out;
    const [vx, vy] = [io.view(x), io.view(out)];
    addon.rowwise(RowOp.max, vx.array, vx.offset, vy.array, vy.offset, rows, cols);
    return out;
  };
}
