import type * as tf from '@tensorflow/tfjs-core';

/**
 * A tensor's values read synchronously, or `undefined` where the backend cannot give them that way: tfjs's WebGPU
 * backend outside a browser reads GPU data back only asynchronously (its synchronous path draws through an
 * OffscreenCanvas), so a tensor whose data is already on the GPU there has no values at hand. Data made from host
 * arrays and not yet used by a kernel is at hand on every backend.
 *
 * For checks of small inputs (ids, labels) that are worth making where they cost nothing; results a computation
 * needs are read with `await t.data()` instead.
 */
export function valuesAtHand(t: tf.Tensor): tf.TypedArray | undefined {
  try {
    return t.dataSync() as tf.TypedArray;
  } catch (e) {
    if (e instanceof ReferenceError && /OffscreenCanvas/.test(e.message)) return undefined;
    throw e;
  }
}
