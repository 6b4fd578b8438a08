import * as tf from '@tensorflow/tfjs-core';

/**
 * The model's `checkpointBlocks` for `--checkpoint-blocks`: explicit values as given; by default every block on the
 * heap-limited wasm backend (and cpu, which only runs small models), none where tfjs-node(-gpu) holds activations in
 * native memory. Rematerialising gives the same gradients (dropout masks are replayed) for about 10 % more time.
 */
export function checkpointBlocksFor(setting: 'all' | 'none' | number | undefined, backend: string = tf.getBackend()): boolean | number {
  if (setting === 'all') return true;
  if (setting === 'none') return false;
  if (typeof setting === 'number') return setting;
  return backend === 'wasm' || backend === 'cpu';
}
