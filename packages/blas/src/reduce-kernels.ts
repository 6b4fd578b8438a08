import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { type CpuBackendLike, type WasmBackendLike, cpuValues, wasmHeap, wasmOffset } from './backend-access.js';

/**
 * A reduction over axes that are all leading or all trailing, seen as x [outer, inner] summed over rows or columns;
 * null for any other set of axes (tfjs's kernel transposes those first).
 */
export function reduceGeometry(shape: readonly number[], axes: readonly number[]): { outer: number; inner: number; columns: boolean; outShape: number[] } | null {
  const r = shape.length;
  const set = [...new Set(axes)].sort((a, b) => a - b);
  if (r === 0 || set.length === 0) return null;
  const k = set.length;
  const trailing = set.every((a, i) => a === r - k + i);
  const leading = set.every((a, i) => a === i);
  if (!trailing && !leading) return null;
  const kept = shape.filter((_, d) => !set.includes(d));
  if (trailing) return { outer: util.sizeFromShape(shape.slice(0, r - k)), inner: util.sizeFromShape(shape.slice(r - k)), columns: false, outShape: kept };
  return { outer: util.sizeFromShape(shape.slice(0, k)), inner: util.sizeFromShape(shape.slice(k)), columns: true, outShape: kept };
}

/** Sum (mean = false) or Mean over leading or trailing axes of a float32 tensor, natively; tfjs's kernel otherwise. */
export function reduceKernel(backendName: string, mean: boolean, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return original(args);
    const axes = util.parseAxisParam(axis, x.shape);
    const g = reduceGeometry(x.shape, axes);
    if (!g || g.outer * g.inner === 0) return original(args);
    const count = g.columns ? g.outer : g.inner;
    const scale = mean ? 1 / count : 1;
    const outShape = keepDims ? x.shape.map((s, d) => (axes.includes(d) ? 1 : s)) : g.outShape;
    if (backendName === 'wasm') {
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(outShape, 'float32');
      const heap = wasmHeap(backend);
      addon.reduceSum(heap, wasmOffset(backend, x), heap, wasmOffset(backend, out), g.outer, g.inner, g.columns, scale);
      return out;
    }
    const backend = args.backend as unknown as CpuBackendLike;
    const out = new Float32Array(g.columns ? g.inner : g.outer);
    addon.reduceSum(cpuValues(backend, x), 0, out, 0, g.outer, g.inner, g.columns, scale);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}
