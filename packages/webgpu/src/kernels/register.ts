import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames } from '@peft/core';
import { WEBGPU_BACKEND } from '../backend.js';
import { addNKernel } from './add-n.js';
import { geluTanhGradKernel, geluTanhKernel } from './gelu-tanh.js';

type KernelConfig = NonNullable<ReturnType<typeof tf.getKernel>>;
/** tfjs's own kernels that ours replaced, to restore. */
const originals = new Map<string, KernelConfig>();
/** Names tfjs has no webgpu kernel for. */
const added = new Set<string>();

interface OwnKernel {
  readonly name: string;
  readonly kernelFunc: tf.KernelFunc;
}

/** This package's kernels, by tfjs kernel name (each file says what tfjs's own kernel gets wrong or does slowly). */
const KERNELS: readonly OwnKernel[] = [
  { name: 'AddN', kernelFunc: addNKernel },
  { name: FusedKernelNames.geluTanh, kernelFunc: geluTanhKernel },
  { name: FusedKernelNames.geluTanhGrad, kernelFunc: geluTanhGradKernel },
];

/** Registers this package's kernels into tfjs's 'webgpu' backend (replacing tfjs's where it has one); returns their names. */
export function registerWebgpuKernels(): string[] {
  for (const k of KERNELS) {
    const existing = tf.getKernel(k.name, WEBGPU_BACKEND);
    if (existing && !originals.has(k.name) && !added.has(k.name)) originals.set(k.name, existing);
    if (existing) tf.unregisterKernel(k.name, WEBGPU_BACKEND);
    else if (!originals.has(k.name)) added.add(k.name);
    tf.registerKernel({ kernelName: k.name, backendName: WEBGPU_BACKEND, kernelFunc: k.kernelFunc });
  }
  return KERNELS.map((k) => k.name);
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
