import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { type CpuBackendLike, type WasmBackendLike, cpuValues, wasmHeap, wasmOffset } from './backend-access.js';
import { transposeCopy } from './copy-geometry.js';

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

/** Sum (mean = false) or Mean of a float32 tensor over any axes, natively; tfjs's kernel for other dtypes. */
export function reduceKernel(backendName: string, mean: boolean, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return original(args);
    const axes = util.parseAxisParam(axis, x.shape);
    const outShape = keepDims ? x.shape.map((s, d) => (axes.includes(d) ? 1 : s)) : x.shape.filter((_, d) => !axes.includes(d));
    const g = reduceGeometry(x.shape, axes);
    if (g && g.outer * g.inner === 0) return original(args);
    if (!g && util.sizeFromShape(x.shape) === 0) return original(args);
    // axes in the middle: move them last with one native transpose, then sum rows
    const perm = g ? null : [...x.shape.keys()].filter((d) => !axes.includes(d)).concat([...new Set(axes)].sort((a, b) => a - b));
    const reduced = perm ? perm.slice(x.shape.length - new Set(axes).size).reduce((p, d) => p * x.shape[d]!, 1) : 0;
    const geo = g ?? { outer: util.sizeFromShape(x.shape) / reduced, inner: reduced, columns: false };
    const count = geo.columns ? geo.outer : geo.inner;
    const scale = mean ? 1 / count : 1;
    const n = geo.outer * geo.inner;
    if (backendName === 'wasm') {
      const backend = args.backend as unknown as WasmBackendLike & { disposeData(id: object): boolean };
      const out = backend.makeOutput(outShape, 'float32');
      const tmp = perm ? backend.makeOutput([n], 'float32') : null;
      const heap = wasmHeap(backend);
      let src = wasmOffset(backend, x);
      if (perm && tmp) {
        const c = transposeCopy(x.shape, perm);
        addon.stridedCopy(heap, src + c.srcOffset, heap, wasmOffset(backend, tmp) + c.dstOffset, c.shape, c.srcStrides, c.dstStrides);
        src = wasmOffset(backend, tmp);
      }
      addon.reduceSum(heap, src, heap, wasmOffset(backend, out), geo.outer, geo.inner, geo.columns, scale);
      if (tmp) backend.disposeData(tmp.dataId);
      return out;
    }
    const backend = args.backend as unknown as CpuBackendLike;
    const out = new Float32Array(geo.columns ? geo.inner : geo.outer);
    let src = cpuValues(backend, x);
    if (perm) {
      const c = transposeCopy(x.shape, perm);
      const moved = new Float32Array(n);
      addon.stridedCopy(src, c.srcOffset, moved, c.dstOffset, c.shape, c.srcStrides, c.dstStrides);
      src = moved;
    }
    addon.reduceSum(src, 0, out, 0, geo.outer, geo.inner, geo.columns, scale);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}
