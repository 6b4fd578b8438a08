import { util } from '@tensorflow/tfjs-core';
import type { FusedKernelFunc } from '@peft/core';
import type { BlasAddon } from './addon.js';
import { kernelIo } from './kernel-io.js';

/** @peft/core's `PeftDropoutMask`: the mask tfjs's seeded randomUniform + floor + scale gives, in one native pass. */
export function dropoutMaskKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftDropoutMask'> {
  return (args) => {
    const { shape, seed, rate } = args.attrs;
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`@peft/blas: PeftDropoutMask: rate must be in [0, 1), got ${rate}`);
    const keep = 1 - rate;
    const io = kernelIo(backendName, args.backend);
    const out = io.output(shape);
    const n = util.sizeFromShape(shape);
    const v = io.view(out);
    // the same float32 scalars tfjs's tensors hold: keep, and 1/keep
    if (n > 0) addon.dropoutMask(String(seed), Math.fround(keep), Math.fround(1 / keep), v.array, v.offset, n);
    return out;
  };
}
