import * as tf from '@tensorflow/tfjs-core';

/**
 * The model's `checkpointBlocks` for `--checkpoint-blocks` (GPT-2 blocks or RoBERTa layers): explicit values as given
 * (the `peft` command passes its memory plan's count when none is given, cli/training-backend.ts); without any, every
 * block on the wasm and cpu backends, none where tfjs-node(-gpu) holds activations in native memory. Rematerialising
 * gives the same gradients (dropout masks are replayed) for one more forward pass of each rematerialised block.
 */
export function checkpointBlocksFor(setting: 'all' | 'none' | number | undefined, backend: string = tf.getBackend()): boolean | number {
  if (setting === 'all') return true;
  if (setting === 'none') return false;
  if (typeof setting === 'number') return setting;
  return backend === 'wasm' || backend === 'cpu';
}
