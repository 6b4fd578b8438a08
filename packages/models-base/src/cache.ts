import type * as tf from '@tensorflow/tfjs-core';

/** One layer's cached keys and values, [B, H, m, p] each (after any `attn.k`/`attn.v` hooks; never shared supports). */
export interface LayerCache {
  readonly k: tf.Tensor4D;
  readonly v: tf.Tensor4D;
}

/**
 * A key/value cache: what a forward pass returns so the next one can feed only new tokens. `length` is m, the number
 * of positions cached. The caller owns the tensors: dispose a cache with {@link disposeCache} once the next one exists.
 */
export interface KeyValueCache {
  readonly length: number;
  readonly layers: readonly LayerCache[];
}

export function disposeCache(cache: KeyValueCache | undefined): void {
  if (!cache) return;
  for (const l of cache.layers) {
    l.k.dispose();
    l.v.dispose();
  }
}
