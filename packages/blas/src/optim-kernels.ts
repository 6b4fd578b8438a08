import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { FusedKernelFunc } from '@peft/core';
import type { BlasAddon } from './addon.js';
import { kernelIo } from './kernel-io.js';

const size = (t: TensorInfo) => util.sizeFromShape(t.shape);

/**
 * @peft/core's `PeftAdamW`: one parameter's update as one native pass (src/native/adamw.c), bit for bit the composed
 * path's operations. The optional `scale` and `gate` scalars are read where they are (a range of the wasm heap or a
 * typed array: no GPU here to wait for).
 */
export function adamwKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftAdamW'> {
  return (args) => {
    const { param, m, v, grad, scale, gate } = args.inputs;
    const n = size(param);
    for (const [name, t] of [['param', param], ['m', m], ['v', v], ['grad', grad]] as const) {
      if (t.dtype !== 'float32' || size(t) !== n) throw new TypeError(`@peft/blas: PeftAdamW: ${name} must be float32 of param's shape [${param.shape}], got ${t.dtype} [${t.shape}]`);
    }
    for (const [name, t] of [['scale', scale], ['gate', gate]] as const) {
      if (t && (t.dtype !== 'float32' || size(t) !== 1)) throw new TypeError(`@peft/blas: PeftAdamW: ${name} must be a float32 scalar, got ${t.dtype} [${t.shape}]`);
    }
    const io = kernelIo(backendName, args.backend);
    const outs = [io.output(param.shape), io.output(param.shape), io.output(param.shape)] as const; // m', v', param'
    const [vp, vm, vv, vg, vmo, vvo, vpo] = [param, m, v, grad, ...outs].map((t) => io.view(t));
    const scalar = (t: TensorInfo | undefined) => {
      if (!t) return 1;
      const w = io.view(t);
      return w.array[w.offset]!;
    };
    const { beta1, beta2, eps, stepSize, decay } = args.attrs;
    addon.adamW(
      vp!.array, vp!.offset, vm!.array, vm!.offset, vv!.array, vv!.offset, vg!.array, vg!.offset,
      vpo!.array, vpo!.offset, vmo!.array, vmo!.offset, vvo!.array, vvo!.offset, n,
      !!scale, scalar(scale), !!gate, scalar(gate), beta1, beta2, eps, stepSize, decay,
    );
    return [...outs];
  };
}
