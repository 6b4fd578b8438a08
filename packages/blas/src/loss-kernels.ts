import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { FusedKernelFunc } from '@peft/core';
import type { BlasAddon } from './addon.js';
import { kernelIo } from './kernel-io.js';

function rowsOf(logits: TensorInfo, vectors: Record<string, TensorInfo>, kernel: string): [number, number] {
  if (logits.dtype !== 'float32' || logits.shape.length !== 2) throw new TypeError(`@peft/blas: ${kernel} takes float32 logits [r, V], got ${logits.dtype} [${logits.shape}]`);
  const [rows, cols] = logits.shape as [number, number];
  for (const [name, t] of Object.entries(vectors)) {
    if (t.shape.reduce((a, b) => a * b, 1) !== rows || (name === 'labels') !== (t.dtype === 'int32')) {
      throw new RangeError(`@peft/blas: ${kernel}: ${name} must be ${name === 'labels' ? 'int32' : 'float32'} [${rows}], got ${t.dtype} [${t.shape}]`);
    }
  }
  return [rows, cols];
}

/** @peft/core's `PeftSoftmaxCrossEntropy`: [r, 2] (lse, smoothed loss) per logit row, one native pass each row. */
export function softmaxCrossEntropyKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftSoftmaxCrossEntropy'> {
  return (args) => {
    const { logits, labels } = args.inputs;
    const { labelSmoothing } = args.attrs;
    const [rows, cols] = rowsOf(logits, { labels }, 'PeftSoftmaxCrossEntropy');
    const io = kernelIo(backendName, args.backend);
    const out = io.output([rows, 2]);
    const [vz, vy, vo] = [io.view(logits), io.view(labels), io.view(out)];
    if (rows > 0) addon.softmaxCrossEntropy(vz.array, vz.offset, vy.array, vy.offset, vo.array, vo.offset, rows, cols, labelSmoothing);
    return out;
  };
}

/** @peft/core's `PeftSoftmaxCrossEntropyGrad`: the [r, V] gradient per unit upstream gradient, one native pass. */
export function softmaxCrossEntropyGradKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftSoftmaxCrossEntropyGrad'> {
  return (args) => {
    const { logits, lse, labels, weights } = args.inputs;
    const { labelSmoothing } = args.attrs;
    const [rows, cols] = rowsOf(logits, { lse, labels, weights }, 'PeftSoftmaxCrossEntropyGrad');
    const io = kernelIo(backendName, args.backend);
    const out = io.output([rows, cols]);
    const [vz, vl, vy, vw, vo] = [io.view(logits), io.view(lse), io.view(labels), io.view(weights), io.view(out)];
    if (rows > 0) addon.softmaxCrossEntropyGrad(vz.array, vz.offset, vl.array, vl.offset, vy.array, vy.offset, vw.array, vw.offset, vo.array, vo.offset, rows, cols, labelSmoothing);
    return out;
  };
}
