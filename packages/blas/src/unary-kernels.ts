import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { kernelIo } from './kernel-io.js';

/** tfjs kernel names of the addon's maps, in the order of its op codes (src/native/unary.c). */
export const UNARY_KERNELS = ['Neg', 'Square', 'Sqrt', 'Rsqrt', 'Log', 'Sigmoid', 'Floor', 'Abs', 'Reciprocal'] as const;

/** y = f(x) for a float32 x, natively (op: index in {@link UNARY_KERNELS}); tfjs's kernel for other dtypes. */
export function unaryKernel(backendName: string, op: number, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return original(args);
    const io = kernelIo(backendName, args.backend);
    const out = io.output(x.shape);
    const n = util.sizeFromShape(x.shape);
    if (n === 0) return out;
    const [vx, vy] = [io.view(x), io.view(out)];
    addon.unary(op, vx.array, vx.offset, vy.array, vy.offset, n);
    return out;
  };
}
