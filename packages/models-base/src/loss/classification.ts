import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError, valuesAtHand } from '@peft/core';

/**
 * Mean cross-entropy of logits [B, C] against int32 labels [B] (PyTorch `CrossEntropyLoss`), written as
 * −mean(Σ_c onehot·logSoftmax) so its gradient needs no gather (works on wasm). Labels outside [0, C) are an error
 * where their values are at hand (`valuesAtHand`).
 */
export function classificationLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const [b, c] = logits.shape;
  if (labels.rank !== 1 || labels.shape[0] !== b) throw new ShapeError('labels', [b], labels.shape);
  if (labels.dtype !== 'int32') throw new ConfigError('labels', `must be an int32 tensor, got ${labels.dtype}`);
  const values = valuesAtHand(labels) ?? [];
  for (let i = 0; i < values.length; i++) {
    if (values[i]! < 0 || values[i]! >= c) throw new ConfigError('labels', `value ${values[i]} at ${i} is outside [0, ${c})`);
  }
  return tf.tidy(() => {
    const onehot = tf.cast(tf.oneHot(labels, c), 'float32'); // [B, C]
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}
