import * as tf from '@tensorflow/tfjs-core';
import { declareBackendFeature, withdrawBackendFeature, type BackendFeature } from './backend-features.js';
import type { FusedKernelFunc, FusedKernelName } from './fused-kernels.js';

/**
 * One accelerator kernel, as a row of a kernel table (the shape of tfjs's `register_all_kernels`: a list of kernel
 * configs, registered in one loop). Either
 * - `kernelFunc`: registered whether or not the backend has a kernel of that name (replacing it where it has, which is
 *   restored on unregistering) — @peft/core's fused kernels, or a fix for a kernel tfjs gets wrong; or
 * - `wrap`: only where the backend has a kernel of that name; `wrap` gets that kernel (tfjs's own) to fall back to for
 *   what the accelerator cannot express, and it is restored on unregistering.
 * `flag` names an option group the caller may switch off (for example `fused`: @peft/core's fused kernels).
 */
export type KernelTableRow<Flag extends string = string> =
  | { readonly kernelName: string; readonly kernelFunc: tf.KernelFunc; readonly flag?: Flag }
  | { readonly kernelName: string; readonly wrap: (original: tf.KernelFunc) => tf.KernelFunc; readonly flag?: Flag };

/** A row for @peft/core's fused kernel `name`, its implementation typed by the kernel's inputs and attributes. */
export function fusedKernelRow<N extends FusedKernelName, Flag extends string = string>(kernelName: N, kernelFunc: FusedKernelFunc<N>, flag?: Flag): KernelTableRow<Flag> {
  // the one place a typed fused kernel meets tfjs's untyped registry
  return { kernelName, kernelFunc: kernelFunc as unknown as tf.KernelFunc, ...(flag !== undefined ? { flag } : {}) };
}

export interface RegisterKernelsOptions<Flag extends string> {
  /** Option groups switched on or off (a row whose flag is absent here is registered). */
  readonly flags?: Partial<Record<Flag, boolean>>;
  /** @peft/core backend features the registered kernels give the backend; withdrawn on unregistering. */
  readonly features?: readonly BackendFeature[];
}

type KernelConfig = tf.KernelConfig;

/**
 * The kernels one accelerator registered, and what was registered before them: what it takes to put a backend back
 * as it was. Registering again (the same backend or another) keeps the first-seen original of each kernel, so a
 * replacement always wraps and restores tfjs's own kernel, never the accelerator's previous one.
 */
export class KernelRegistry<Flag extends string = string> {
  /** What the backend had before, by `${kernel}/${backend}`, to wrap and to restore. */
  private readonly originals = new Map<string, KernelConfig>();
  /** Kernels the backend did not have before, by `${kernel}/${backend}`, to remove. */
  private readonly added = new Map<string, { kernelName: string; backendName: string }>();
  /** Backend features declared, by backend. */
  private readonly features = new Map<string, Set<BackendFeature>>();

  /**
   * Registers the table's rows into `backendName`; returns the names registered. Registers nothing (and returns [])
   * where the backend has no kernels at all: its package is not imported.
   */
  register(backendName: string, table: readonly KernelTableRow<Flag>[], options: RegisterKernelsOptions<Flag> = {}): string[] {
    if (tf.getKernelsForBackend(backendName).length === 0) return [];
    const names: string[] = [];
    for (const row of table) {
      if (row.flag !== undefined && options.flags?.[row.flag] === false) continue;
      const key = `${row.kernelName}/${backendName}`;
      const current = tf.getKernel(row.kernelName, backendName);
      const original = this.originals.get(key) ?? (this.added.has(key) ? undefined : current);
      if ('wrap' in row && !original) continue;
      const kernelFunc = 'wrap' in row ? row.wrap(original!.kernelFunc) : row.kernelFunc;
      if (original) this.originals.set(key, original);
      else this.added.set(key, { kernelName: row.kernelName, backendName });
      if (current) tf.unregisterKernel(row.kernelName, backendName); // ours or the original, whichever is registered now
      tf.registerKernel({
        kernelName: row.kernelName,
        backendName,
        ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
        ...(original?.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
        kernelFunc,
      });
      names.push(row.kernelName);
    }
    if (names.length > 0 && options.features?.length) {
      const declared = this.features.get(backendName) ?? new Set<BackendFeature>();
      for (const f of options.features) {
        declareBackendFeature(backendName, f);
        declared.add(f);
      }
      this.features.set(backendName, declared);
    }
    return names;
  }

  /** Puts back every kernel this registry replaced, removes the ones it added, and withdraws its backend features. */
  unregister(): void {
    for (const [backendName, declared] of this.features) for (const f of declared) withdrawBackendFeature(backendName, f);
    this.features.clear();
    for (const original of this.originals.values()) {
      if (tf.getKernel(original.kernelName, original.backendName)) tf.unregisterKernel(original.kernelName, original.backendName);
      tf.registerKernel(original);
    }
    this.originals.clear();
    for (const { kernelName, backendName } of this.added.values()) {
      if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    }
    this.added.clear();
  }
}
