import { FusedKernelNames, KernelRegistry, fusedKernelRow, type KernelTableRow } from '@peft/core';
import { WEBGPU_BACKEND } from '../backend.js';
import { addNKernel } from './add-n.js';
import { adamwKernel } from './adamw.js';
import { dropoutMaskKernel } from './dropout-mask.js';
import { maskedSoftmaxGradKernel, maskedSoftmaxKernel } from './masked-softmax.js';
import { reduceTotalKernel } from './reduce-total.js';
import { geluTanhGradKernel, geluTanhKernel } from './gelu-tanh.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from './softmax-cross-entropy.js';

/** `fused`: @peft/core's optional fused kernels (speed); rows without a flag fix a kernel tfjs gets wrong for @peft's use. */
type WebgpuFlag = 'fused';

/** This package's kernels, by tfjs kernel name (each file says what tfjs's own kernel gets wrong or does slowly). */
const KERNELS: readonly KernelTableRow<WebgpuFlag>[] = [
  { kernelName: 'AddN', kernelFunc: addNKernel },
  fusedKernelRow(FusedKernelNames.geluTanh, geluTanhKernel, 'fused'),
  fusedKernelRow(FusedKernelNames.geluTanhGrad, geluTanhGradKernel, 'fused'),
  fusedKernelRow(FusedKernelNames.softmaxCrossEntropy, softmaxCrossEntropyKernel, 'fused'),
  fusedKernelRow(FusedKernelNames.softmaxCrossEntropyGrad, softmaxCrossEntropyGradKernel, 'fused'),
  fusedKernelRow(FusedKernelNames.adamw, adamwKernel, 'fused'),
  fusedKernelRow(FusedKernelNames.dropoutMask, dropoutMaskKernel, 'fused'),
  fusedKernelRow(FusedKernelNames.maskedSoftmax, maskedSoftmaxKernel, 'fused'),
  fusedKernelRow(FusedKernelNames.maskedSoftmaxGrad, maskedSoftmaxGradKernel, 'fused'),
  fusedKernelRow(FusedKernelNames.reduceTotal, reduceTotalKernel, 'fused'),
];

/** The kernels registered into 'webgpu', and tfjs's own that they replaced (to restore). */
const registry = new KernelRegistry<WebgpuFlag>();

/**
 * Registers this package's kernels into tfjs's 'webgpu' backend (replacing tfjs's where it has one); returns their
 * names. `fused: false` leaves out the fused ones (the models then compose those functions from tfjs ops: to measure
 * what the fused kernels change).
 */
export function registerWebgpuKernels(options: { fused?: boolean } = {}): string[] {
  unregisterWebgpuKernels();
  return registry.register(WEBGPU_BACKEND, KERNELS, { flags: { fused: options.fused !== false } });
}

/** Puts tfjs's kernels back and removes the ones tfjs does not have. */
export function unregisterWebgpuKernels(): void {
  registry.unregister();
}
