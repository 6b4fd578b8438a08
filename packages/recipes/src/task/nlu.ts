import * as tf from '@tensorflow/tfjs-core';
import { EVAL_CONTEXT, type ForwardContext, type TunedModel } from '@peft/core';
import { classificationLoss, type TunableClassifier } from '@peft/models-base';
import type { ClassifierBatch, PaddedSplit } from '../data/batching.js';
import { sequentialBatches } from '../data/batching.js';
import type { ClassifierExample } from '../data/glue-sequence.js';
import type { Trainable, Validation } from '../train/loop.js';

function logitsOf(model: TunableClassifier, batch: ClassifierBatch, ctx: ForwardContext, checkpointBlocks: boolean | number = false): tf.Tensor2D {
  return tf.tidy(() => {
    const shape: [number, number] = [batch.batchSize, batch.length];
    const inputIds = tf.tensor2d(batch.inputIds, shape, 'int32');
    const attentionMask = tf.tensor2d(batch.attentionMask, shape, 'int32');
    const { hidden } = model.forward({ inputIds, attentionMask, ctx, ...(checkpointBlocks ? { checkpointBlocks } : {}) });
    return model.classify(hidden, ctx);
  });
}

/**
 * The classifier + method for the loop: the method's variables (the head stays frozen, spec §3.6), cross-entropy.
 * `checkpointBlocks` rematerialises layers in the backward pass (all: true, the first k: k), same gradients, less memory.
 */
export function nluTrainable(model: TunableClassifier, tuned: TunedModel, checkpointBlocks: boolean | number = false): Trainable<ClassifierBatch> {
  return {
    parameters: tuned.instance.params.entries(),
    loss: (batch, ctx) =>
      tf.tidy(() => classificationLoss(logitsOf(model, batch, ctx, checkpointBlocks), tf.tensor1d(batch.labels, 'int32'))),
  };
}

/** Predicted labels (argmax) of a split, in order. */
export async function predictLabels(model: TunableClassifier, split: PaddedSplit<ClassifierExample, ClassifierBatch>, batchSize: number, limit = Infinity): Promise<number[]> {
  const out: number[] = [];
  for (const idx of sequentialBatches(Math.min(split.size, limit), batchSize)) {
    const batch = split.batch(idx);
    const arg = tf.tidy(() => tf.argMax(logitsOf(model, batch, EVAL_CONTEXT), -1));
    try {
      out.push(...((await arg.data()) as Int32Array));
    } finally {
      arg.dispose();
    }
  }
  return out;
}

export async function accuracyOf(model: TunableClassifier, split: PaddedSplit<ClassifierExample, ClassifierBatch>, batchSize: number, limit = Infinity): Promise<Validation> {
  const pred = await predictLabels(model, split, batchSize, limit);
  let right = 0;
  pred.forEach((p, i) => (right += p === split.examples[i]!.label ? 1 : 0));
  return { name: 'accuracy', value: pred.length ? right / pred.length : NaN, higherIsBetter: true, extra: { examples: pred.length } };
}
