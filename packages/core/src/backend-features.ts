import * as tf from '@tensorflow/tfjs-core';

/**
 * Capabilities of a backend's kernels that change how a model lays out its frozen weights. An accelerator declares
 * them for the backends it serves (and withdraws them when it unregisters); models ask before keeping extra copies.
 *
 * - `transposedMatMul`: `matMul(a, b, transposeA, transposeB)` runs every transpose form at full speed. Without it
 *   (stock tfjs-wasm sends only the plain 2-D form to XNNPACK; the rest falls to a naive loop), models keep a
 *   transposed copy of each frozen kernel used in a transposed product — about the weights' size again.
 * - `redrawnDropoutMasks`: the backend's `PeftDropoutMask` draws a mask from its seed in one native pass, cheaper than
 *   keeping the mask on the tape: the backward pass draws it again (@peft/blas on wasm/cpu, where the tape lives in host
 *   memory). Without it (@peft/webgpu draws on the CPU and uploads), the tape keeps the mask.
 * - `groupedKeyValueHeads`: the backend's `PeftAttentionTiled` and its gradient take keys and values with H_kv heads
 *   dividing the queries' H (grouped-query attention: query head j reads key/value head ⌊j / (H / H_kv)⌋) and return
 *   dK, dV with H_kv heads. Without it, attention repeats each key/value head H / H_kv times first.
 */
export const BackendFeatures = {
  transposedMatMul: 'transposed-matmul',
  redrawnDropoutMasks: 'redrawn-dropout-masks',
  groupedKeyValueHeads: 'grouped-key-value-heads',
} as const;

export type BackendFeature = (typeof BackendFeatures)[keyof typeof BackendFeatures];

/** libtensorflow (tfjs-node) has every matmul form natively. */
const BUILT_IN: Readonly<Record<string, readonly BackendFeature[]>> = { tensorflow: [BackendFeatures.transposedMatMul] };
const declared = new Map<string, Set<BackendFeature>>();

export function declareBackendFeature(backend: string, feature: BackendFeature): void {
  const set = declared.get(backend) ?? new Set<BackendFeature>();
  set.add(feature);
  declared.set(backend, set);
}

export function withdrawBackendFeature(backend: string, feature: BackendFeature): void {
  declared.get(backend)?.delete(feature);
}

/** Whether `backend` (default: the active one) has `feature`, built in or declared. */
export function backendHasFeature(feature: BackendFeature, backend: string = tf.getBackend()): boolean {
  return (BUILT_IN[backend]?.includes(feature) ?? false) || (declared.get(backend)?.has(feature) ?? false);
}
