import type * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError, valuesAtHand } from '@peft/core';

/**
 * Checks an id tensor: int32, rank 2 [B, n], every value in [0, limit). The values are checked where they are at hand
 * (every backend, except WebGPU in Node for ids already on the GPU: see `valuesAtHand`); returns them then.
 */
export function checkIds(t: tf.Tensor, name: string, limit: number, shape?: readonly number[]): Int32Array | undefined {
  if (t.rank !== 2) throw new ShapeError(name, shape ?? [-1, -1], t.shape, 'expected a [B, n] tensor');
  if (shape && (t.shape[0] !== shape[0] || t.shape[1] !== shape[1])) throw new ShapeError(name, shape, t.shape);
  if (t.dtype !== 'int32') throw new ConfigError(name, `must be an int32 tensor, got ${t.dtype}`);
  const values = valuesAtHand(t) as Int32Array | undefined;
  if (!values) return undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v >= limit) {
      throw new ConfigError(name, `value ${v} at flat index ${i} is outside [0, ${limit})`);
    }
  }
  return values;
}
