import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { kernelIo } from './kernel-io.js';

/** @peft/core's `PeftSmoothedCrossEntropy`: [loss [r], grad [r, V]?] of a float32 logit block in one native pass each. */
export function smoothedCrossEntropyKernel(backendName: string, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { logits, labels, weights } = args.inputs as { logits: TensorInfo; labels: TensorInfo; weights: TensorInfo };
    const { labelSmoothing, withGradient } = args.attrs as { labelSmoothing: number; withGradient: boolean };
    if (logits.dtype !== 'float32' || labels.dtype !== 'int32' || weights.dtype !== 'float32' || logits.shape.length !== 2) {
      throw new TypeError('@peft/blas: PeftSmoothedCrossEntropy takes float32 logits [r, V], int32 labels [r] and float32 weights [r]');
    }
    const [rows, cols] = logits.shape as [number, number];
    if (labels.shape.length !== 1 || labels.shape[0] !== rows || weights.shape.length !== 1 || weights.shape[0] !== rows) {
      throw new RangeError(`@peft/blas: PeftSmoothedCrossEntropy: labels [${labels.shape}] and weights [${weights.shape}] must be [${rows}]`);
    }
    const io = kernelIo(backendName, args.backend);
    const loss = io.output([rows]);
    const grad = withGradient ? io.output([rows, cols]) : null;
    const [vz, vy, vw, vl] = [io.view(logits), io.view(labels), io.view(weights), io.view(loss)];
    const vg = grad ? io.view(grad) : vl;
    if (rows > 0) addon.smoothedCrossEntropy(vz.array, vz.offset, vy.array, vy.offset, vw.array, vw.offset, vl.array, vl.offset, vg.array, vg.offset, rows, cols, labelSmoothing, grad !== null);
    return grad ? [loss, grad] : [loss];
  };
}
