import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { FusedKernelFunc } from '@peft/core';
import type { BlasAddon } from './addon.js';
import { contiguousStrides } from './copy-geometry.js';
import { kernelIo } from './kernel-io.js';

/** Strides of an additive mask read as [B, H, n, m] (trailing-aligned broadcast; 0 along repeated axes). */
export function maskStrides(maskShape: readonly number[], scores: readonly number[]): number[] | null {
  if (maskShape.length > 4) return null;
  const own = contiguousStrides(maskShape);
  const lead = 4 - maskShape.length;
  const out: number[] = [];
  for (let d = 0; d < 4; d++) {
    const s = d < lead ? 1 : maskShape[d - lead]!;
    if (s !== 1 && s !== scores[d]) return null;
    out.push(s === 1 ? 0 : own[d - lead]!);
  }
  return out;
}

function check4(t: TensorInfo, name: string): [number, number, number, number] {
  if (t.dtype !== 'float32' || t.shape.length !== 4) throw new TypeError(`@peft/blas: ${name} must be a float32 [B, H, n, m] tensor, got ${t.dtype} [${t.shape}]`);
  return t.shape as [number, number, number, number];
}

/** @peft/core's `PeftMaskedSoftmax` (see its contract), one native pass per score row. */
export function maskedSoftmaxKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftMaskedSoftmax'> {
  return (args) => {
    const { scores, mask } = args.inputs;
    const { scale, causal, maskedValue, lse } = args.attrs;
    const dims = check4(scores, 'PeftMaskedSoftmax scores');
    const ms = mask ? maskStrides(mask.shape, dims) : [0, 0, 0, 0];
    if (!ms || (mask && mask.dtype !== 'float32')) throw new RangeError(`@peft/blas: PeftMaskedSoftmax: mask [${mask!.shape}] does not broadcast to [${dims}]`);
    const io = kernelIo(backendName, args.backend);
    const p = io.output(dims);
    const l = lse !== 'none' ? io.output([dims[0], dims[1], dims[2], 1]) : null;
    const pu = lse === 'unpadded' ? io.output(dims) : null;
    if (util.sizeFromShape(dims) > 0) {
      const vs = io.view(scores), vp = io.view(p);
      const vm = mask ? io.view(mask) : null, vl = l ? io.view(l) : null, vu = pu ? io.view(pu) : null;
      addon.maskedSoftmax(vs.array, vs.offset, vm?.array ?? null, vm?.offset ?? 0, ms, vp.array, vp.offset, vl?.array ?? null, vl?.offset ?? 0,
        vu?.array ?? null, vu?.offset ?? 0, dims, scale, causal, maskedValue);
    }
    return [p, ...(l ? [l] : []), ...(pu ? [pu] : [])];
  };
}

/** @peft/core's `PeftMaskedSoftmaxGrad` (see its contract), one native pass per score row. */
export function maskedSoftmaxGradKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftMaskedSoftmaxGrad'> {
  return (args) => {
    const { probs, dProbs, dLse, lseProbs } = args.inputs;
    const { scale, causal } = args.attrs;
    const dims = check4(probs, 'PeftMaskedSoftmaxGrad probs');
    const same = (t: TensorInfo | undefined, shape: readonly number[]) => !t || (t.dtype === 'float32' && t.shape.length === 4 && t.shape.every((s, d) => s === shape[d]));
    if (!same(dProbs, dims) || !same(lseProbs, dims) || !same(dLse, [dims[0], dims[1], dims[2], 1])) {
      throw new RangeError(`@peft/blas: PeftMaskedSoftmaxGrad: dProbs, lseProbs [${dims}] and dLse [${dims.slice(0, 3)},1] expected`);
    }
    const io = kernelIo(backendName, args.backend);
    const out = io.output(dims);
    const rows = dims[0] * dims[1] * dims[2];
    if (rows * dims[3] > 0) {
      const vp = io.view(probs), vd = io.view(dProbs), vo = io.view(out);
      const vl = dLse ? io.view(dLse) : null, vu = lseProbs ? io.view(lseProbs) : null;
      addon.maskedSoftmaxGrad(vp.array, vp.offset, vd.array, vd.offset, vl?.array ?? null, vl?.offset ?? 0, vu?.array ?? null, vu?.offset ?? 0,
        vo.array, vo.offset, rows, dims[2], dims[3], scale, causal);
    }
    return out;
  };
}
