import * as tf from '@tensorflow/tfjs-core';
import { loadAddon } from './addon.js';
import { gemmGeometry } from './geometry.js';

/**
 * @peft/blas: an optional accelerator. It registers a `BatchMatMul` kernel backed by OpenBLAS's sgemm into the
 * TensorFlow.js `wasm` and `cpu` backends, and `Tanh` / `Exp` kernels computed natively on all cores. On wasm the GEMM reads and writes the wasm heap in place; every matmul form
 * — transposed, batched, broadcast — runs at BLAS speed, where tfjs-wasm's XNNPACK path covers only the plain 2-D
 * form and everything else falls to a naive loop at ~2 GFLOP/s. Anything it cannot express goes to tfjs's kernel.
 */
export interface BlasStatus {
  readonly available: boolean;
  /** Why it is off, when it is. */
  readonly reason?: string;
  /** OpenBLAS's build configuration and thread count. */
  readonly config?: string;
  /** Backends whose kernels (BatchMatMul, Tanh, Exp) are now the addon's. */
  readonly registered: readonly string[];
}

type KernelConfig = ReturnType<typeof tf.getKernel> & object;
/** tfjs's own kernels, by `${kernel}/${backend}`, to fall back to and to restore. */
const originals = new Map<string, KernelConfig>();
const UNARY_OPS: Readonly<Record<string, number>> = { Tanh: 0, Exp: 1 };

function replaceKernel(kernelName: string, backendName: string, make: (original: KernelConfig) => tf.KernelFunc): boolean {
  const key = `${kernelName}/${backendName}`;
  const original = originals.get(key) ?? tf.getKernel(kernelName, backendName);
  if (!original) return false; // that backend's package is not imported
  originals.set(key, original);
  tf.unregisterKernel(kernelName, backendName); // ours or tfjs's, whichever is registered now
  tf.registerKernel({
    kernelName,
    backendName,
    ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}),
    kernelFunc: make(original),
  });
  return true;
}

/** Registers the OpenBLAS matmul into the given backends (default both); a no-op report when the addon is absent. */
export function registerBlasKernels(options: { backends?: readonly ('wasm' | 'cpu')[]; threads?: number } = {}): BlasStatus {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return { available: false, reason: loaded.reason, registered: [] };
  const { addon } = loaded;
  if (options.threads) addon.setThreads(options.threads);
  const registered: string[] = [];
  for (const backendName of options.backends ?? ['wasm', 'cpu']) {
    const ok = replaceKernel('BatchMatMul', backendName, (original) => (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const g = a.dtype === 'float32' && b.dtype === 'float32' ? gemmGeometry(a.shape, b.shape, transposeA, transposeB) : null;
      if (!g) return original.kernelFunc(args);
      return backendName === 'wasm'
        ? wasmGemm(args.backend as WasmBackendLike, a, b, g, transposeA, transposeB, addon)
        : cpuGemm(args.backend as CpuBackendLike, a, b, g, transposeA, transposeB, addon);
    });
    if (!ok) continue;
    for (const [kernelName, op] of Object.entries(UNARY_OPS)) {
      replaceKernel(kernelName, backendName, (original) => (args) => {
        const { x } = args.inputs as { x: tf.TensorInfo };
        const n = x.shape.reduce((p, d) => p * d, 1);
        if (x.dtype !== 'float32' || n === 0) return original.kernelFunc(args);
        return backendName === 'wasm'
          ? wasmUnary(args.backend as WasmBackendLike, x, n, op, addon)
          : cpuUnary(args.backend as CpuBackendLike, x, n, op, addon);
      });
    }
    registered.push(backendName);
  }
  return { available: true, config: addon.config(), registered };
}

/** Puts tfjs's own kernels back. */
export function unregisterBlasKernels(): void {
  for (const original of originals.values()) {
    tf.unregisterKernel(original.kernelName, original.backendName);
    tf.registerKernel(original);
  }
  originals.clear();
}

/** Whether the addon is built and loads, without registering anything. */
export function blasAvailability(): { available: boolean; reason?: string; config?: string } {
  const loaded = loadAddon();
  return 'addon' in loaded ? { available: true, config: loaded.addon.config() } : { available: false, reason: loaded.reason };
}

// The parts of the backends' classes the kernels use (tfjs-backend-wasm / -cpu internals, pinned at 4.22).
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}
interface CpuBackendLike {
  data: { get(id: object): { values?: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}
type Geometry = NonNullable<ReturnType<typeof gemmGeometry>>;
type Addon = Extract<ReturnType<typeof loadAddon>, { addon: unknown }>['addon'];

function wasmGemm(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, g: Geometry, ta: boolean, tb: boolean, addon: Addon): tf.TensorInfo {
  const out = backend.makeOutput(g.outShape, 'float32');
  // the heap may have grown while allocating `out`: take the view afterwards
  const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  addon.sgemmBatched(heap, offset(a), heap, offset(b), heap, offset(out), g.batch, g.m, g.n, g.k, ta, tb, g.strideA, g.strideB);
  return out;
}

function wasmUnary(backend: WasmBackendLike, x: tf.TensorInfo, n: number, op: number, addon: Addon): tf.TensorInfo {
  const out = backend.makeOutput([...x.shape], 'float32');
  const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
  addon.unary(op, heap, offset(x), heap, offset(out), n);
  return out;
}

/** The cpu backend's values of a float32 tensor as a Float32Array (some kernels store other array types). */
function cpuValues(backend: CpuBackendLike, t: tf.TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v ?? []);
}

function cpuUnary(backend: CpuBackendLike, x: tf.TensorInfo, n: number, op: number, addon: Addon): tf.TensorInfo {
  const out = new Float32Array(n);
  addon.unary(op, cpuValues(backend, x), 0, out, 0, n);
  return backend.makeTensorInfo([...x.shape], 'float32', out);
}

function cpuGemm(backend: CpuBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, g: Geometry, ta: boolean, tb: boolean, addon: Addon): tf.TensorInfo {
  const out = new Float32Array(g.batch * g.m * g.n);
  addon.sgemmBatched(cpuValues(backend, a), 0, cpuValues(backend, b), 0, out, 0, g.batch, g.m, g.n, g.k, ta, tb, g.strideA, g.strideB);
  return backend.makeTensorInfo(g.outShape, 'float32', out);
}
