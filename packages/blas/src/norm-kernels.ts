import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { FusedKernelFunc } from '@peft/core';
import type { BlasAddon } from './addon.js';
import { kernelIo } from './kernel-io.js';

const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

/** [rows, d] of a LayerNorm call: float32 x [..., d] and every per-feature vector [d]. */
function normRows(x: TensorInfo, vectors: Record<string, TensorInfo>, kernel: string): [number, number] {
  const d = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || d === undefined || d < 1) throw new TypeError(`@peft/blas: ${kernel} takes float32 x [..., d], got ${x.dtype} [${x.shape}]`);
  for (const [name, t] of Object.entries(vectors)) {
    if (t.dtype !== 'float32' || size(t) !== d) throw new RangeError(`@peft/blas: ${kernel}: ${name} must be float32 [${d}], got ${t.dtype} [${t.shape}]`);
  }
  return [size(x) / d, d];
}

/** @peft/core's `PeftLayerNorm` (and RMSNorm, without centring): y, normed and rstd in one native pass per row. */
export function layerNormKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftLayerNorm'> {
  return (args) => {
    const { x, gamma, beta } = args.inputs;
    const [rows, d] = normRows(x, { gamma, ...(beta ? { beta } : {}) }, 'PeftLayerNorm');
    const io = kernelIo(backendName, args.backend);
    const y = io.output(x.shape);
    const normed = io.output(x.shape);
    const rstd = io.output([...x.shape.slice(0, -1), 1]);
    const [vx, vg, vy, vn, vr] = [x, gamma, y, normed, rstd].map((t) => io.view(t));
    const vb = beta ? io.view(beta) : null;
    if (rows > 0) addon.layerNorm(vx!.array, vx!.offset, vg!.array, vg!.offset, vb?.array ?? null, vb?.offset ?? 0, vy!.array, vy!.offset, vn!.array, vn!.offset, vr!.array, vr!.offset, rows, d, args.attrs.eps, args.attrs.centre);
    return [y, normed, rstd];
  };
}

/** @peft/core's `PeftLayerNormGrad`: dx in one native pass per row. */
export function layerNormGradKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftLayerNormGrad'> {
  return (args) => {
    const { dy, normed, rstd, gamma } = args.inputs;
    const [rows, d] = normRows(dy, { gamma }, 'PeftLayerNormGrad');
    if (normed.dtype !== 'float32' || size(normed) !== rows * d || rstd.dtype !== 'float32' || size(rstd) !== rows) {
      throw new RangeError(`@peft/blas: PeftLayerNormGrad: normed [${normed.shape}] and rstd [${rstd.shape}] must hold ${rows}×${d} and ${rows} floats`);
    }
    const io = kernelIo(backendName, args.backend);
    const dx = io.output(dy.shape);
    const [vdy, vn, vr, vg, vdx] = [dy, normed, rstd, gamma, dx].map((t) => io.view(t));
    if (rows > 0) addon.layerNormGrad(vdy!.array, vdy!.offset, vn!.array, vn!.offset, vr!.array, vr!.offset, vg!.array, vg!.offset, vdx!.array, vdx!.offset, rows, d, args.attrs.centre);
    return dx;
  };
}
