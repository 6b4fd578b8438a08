import * as tf from '@tensorflow/tfjs-core';
import type { FusedKernelFunc } from '@peft/core';
import type { BlasAddon } from './addon.js';
import { type CpuBackendLike, type WasmBackendLike, cpuValues, wasmHeap, wasmOffset } from './backend-access.js';

/** The addon's elementwise ops (src/native/blas.c). */
export const ElementwiseOp = { tanh: 0, exp: 1, geluTanh: 2, geluTanhGrad: 3, geluErf: 4, geluErfGrad: 5 } as const;
type Op = (typeof ElementwiseOp)[keyof typeof ElementwiseOp];

/**
 * A kernel computing y = f(x) (or, for the gradient ops, y = dy·f'(x)) natively on float32 tensors; `original`
 * (tfjs's kernel, when the name is one of tfjs's) takes every other dtype.
 */
export function elementwiseKernel(backendName: string, op: Op, addon: BlasAddon, original?: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy?: tf.TensorInfo };
    if (x.dtype !== 'float32' || (dy && dy.dtype !== 'float32')) {
      if (original) return original(args);
      throw new TypeError(`@peft/blas: kernel op ${op} takes float32 tensors, got ${x.dtype}`);
    }
    if (dy && tf.util.sizeFromShape(dy.shape) !== tf.util.sizeFromShape(x.shape)) {
      throw new RangeError(`@peft/blas: dy has shape [${dy.shape}], x has [${x.shape}]`);
    }
    const n = tf.util.sizeFromShape(x.shape);
    if (backendName === 'wasm') {
      const backend = args.backend as WasmBackendLike;
      const out = backend.makeOutput([...x.shape], 'float32');
      if (n === 0) return out;
      const heap = wasmHeap(backend);
      const at = (t: tf.TensorInfo) => wasmOffset(backend, t);
      addon.elementwise(op, heap, at(x), heap, at(dy ?? x), heap, at(out), n);
      return out;
    }
    const backend = args.backend as CpuBackendLike;
    const out = new Float32Array(n);
    const xv = cpuValues(backend, x);
    if (n > 0) addon.elementwise(op, xv, 0, dy ? cpuValues(backend, dy) : xv, 0, out, 0, n);
    return backend.makeTensorInfo([...x.shape], 'float32', out);
  };
}

/** @peft/core's fused GELU kernels and their gradients (float32 only: tfjs has no kernel of theirs to fall back to). */
export function fusedGeluKernel(
  backendName: string,
  op: typeof ElementwiseOp.geluTanh | typeof ElementwiseOp.geluTanhGrad | typeof ElementwiseOp.geluErf | typeof ElementwiseOp.geluErfGrad,
  addon: BlasAddon,
): FusedKernelFunc<'PeftGeluTanh' | 'PeftGeluTanhGrad' | 'PeftGeluErf' | 'PeftGeluErfGrad'> {
  const kernel = elementwiseKernel(backendName, op, addon);
  return (args) => kernel(args) as tf.TensorInfo;
}
