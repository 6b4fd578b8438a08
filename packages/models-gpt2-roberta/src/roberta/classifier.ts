import * as tf from '@tensorflow/tfjs-core';
import { EVAL_CONTEXT, type ForwardContext } from '@peft/core';
import type { FrozenLinear } from '@peft/models-base';

/** HF `RobertaClassificationHead` weights (`classifier.dense`, `classifier.out_proj`), frozen (spec §3.6). */
export interface RobertaClassifierWeights {
  readonly dense: FrozenLinear; // [d, d]
  readonly outProj: FrozenLinear; // [d, C]
}

/** hidden [B, n, d] → logits [B, C] from the `<s>` (first) position: dropout, dense, tanh, dropout, out_proj. */
export function classifyFirstToken(
  w: RobertaClassifierWeights,
  hidden: tf.Tensor3D,
  dropoutRate: number,
  ctx: ForwardContext = EVAL_CONTEXT,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, , d] = hidden.shape;
    let x: tf.Tensor = tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, d]), [b, d]); // [B, d]
    x = ctx.dropout(x, dropoutRate);
    x = tf.tanh(w.dense.apply(x));
    x = ctx.dropout(x, dropoutRate);
    return w.outProj.apply(x) as tf.Tensor2D;
  });
}
