import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames } from '@peft/core';
import { WEBGPU_BACKEND } from '../backend.js';
import { addNKernel } from './add-n.js';
import { geluTanhGradKernel, geluTanhKernel } from './gelu-tanh.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from './softmax-cross-entropy.js';

type KernelConfig = NonNullable<ReturnType<typeof tf.getKernel>>;
/** tfjs's own kernels that ours replaced, to restore. */
const originals = new Map<string, KernelConfig>();
/** Names tfjs has no webgpu kernel for. */
const added = new Set<string>();

interface OwnKernel {
  readonly name: string;
  readonly kernelFunc: tf.KernelFunc;
  /** 'fix': tfjs's kernel gives wrong results for @peft's use; 'fused': @peft/core's optional fused kernels (speed). */
  readonly kind: 'fix' | 'fused';
}

/** This package's kernels, by tfjs kernel name (each file says what tfjs's own kernel gets wrong or does slowly). */
const KERNELS: readonly OwnKernel[] = [
  { name: 'AddN', kernelFunc: addNKernel, kind: 'fix' },
  { name: FusedKernelNames.geluTanh, kernelFunc: geluTanhKernel, kind: 'fused' },
  { name: FusedKernelNames.geluTanhGrad, kernelFunc: geluTanhGradKernel, kind: 'fused' },
  { name: FusedKernelNames.softmaxCrossEntropy, kernelFunc: softmaxCrossEntropyKernel, kind: 'fused' },
  { name: FusedKernelNames.softmaxCrossEntropyGrad, kernelFunc: softmaxCrossEntropyGradKernel, kind: 'fused' },
];

/**
 * Registers this package's kernels into tfjs's 'webgpu' backend (replacing tfjs's where it has one); returns their
 * names. `fused: false` leaves out the fused ones (the models then compose those functions from tfjs ops: to measure
 * what the fused kernels change).
 */
export function registerWebgpuKernels(options: { fused?: boolean } = {}): string[] {
  unregisterWebgpuKernels();
  const chosen = KERNELS.filter((k) => k.kind === 'fix' || options.fused !== false);
  for (const k of chosen) {
    const existing = tf.getKernel(k.name, WEBGPU_BACKEND);
    if (existing && !originals.has(k.name) && !added.has(k.name)) originals.set(k.name, existing);
    if (existing) tf.unregisterKernel(k.name, WEBGPU_BACKEND);
    else if (!originals.has(k.name)) added.add(k.name);
    tf.registerKernel({ kernelName: k.name, backendName: WEBGPU_BACKEND, kernelFunc: k.kernelFunc });
  }
  return chosen.map((k) => k.name);
}

/** Puts tfjs's kernels back and removes the ones tfjs does not have. */
export function unregisterWebgpuKernels(): void {
  for (const name of [...originals.keys(), ...added]) {
    if (tf.getKernel(name, WEBGPU_BACKEND)) tf.unregisterKernel(name, WEBGPU_BACKEND);
  }
  for (const k of originals.values()) tf.registerKernel(k);
  originals.clear();
  added.clear();
}
