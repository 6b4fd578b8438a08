import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, MissingTensorError, TensorShapeMismatchError, sameShape, type TaskHead } from '@peft/core';
import { FrozenLinear } from '@peft/models-base';
import type { RobertaClassifierWeights } from './classifier.js';

/** The classification head's tensors below `classifier.` (Hugging Face names, weights [out, in]). */
const HEAD_TENSORS = ['dense.weight', 'dense.bias', 'out_proj.weight', 'out_proj.bias'] as const;

/**
 * RoBERTa's classification head as Hugging Face PEFT's `modules_to_save` module `classifier` of a `SEQ_CLS` model.
 * `replace` checks every name and shape first, then swaps the head (any number of classes) and frees the old one.
 */
export function robertaTaskHead(
  hiddenSize: number,
  current: () => RobertaClassifierWeights,
  install: (next: RobertaClassifierWeights) => void,
): TaskHead {
  return {
    module: 'classifier',
    taskType: 'SEQ_CLS',
    tensors() {
      const w = current();
      const out: Record<string, tf.Tensor> = {};
      for (const [name, linear] of [['dense', w.dense], ['out_proj', w.outProj]] as const) {
        const k = linear.getKernel();
        out[`${name}.weight`] = tf.transpose(k); // [in, out] → [out, in]
        k.dispose();
        out[`${name}.bias`] = linear.getBias()!;
      }
      return out;
    },
    replace(tensors, source) {
      for (const key of Object.keys(tensors)) {
        if (!(HEAD_TENSORS as readonly string[]).includes(key)) {
          throw new ConfigError(`classifier.${key}`, `${source} holds a tensor that RoBERTa's classification head does not have (it has ${HEAD_TENSORS.join(', ')})`);
        }
      }
      for (const key of HEAD_TENSORS) if (!tensors[key]) throw new MissingTensorError(source, `classifier.${key}`);
      const d = hiddenSize;
      const numLabels = tensors['out_proj.weight']!.shape[0] ?? 0;
      const want: Record<(typeof HEAD_TENSORS)[number], number[]> = {
        'dense.weight': [d, d],
        'dense.bias': [d],
        'out_proj.weight': [numLabels, d],
        'out_proj.bias': [numLabels],
      };
      for (const key of HEAD_TENSORS) {
        const t = tensors[key]!;
        if (numLabels < 1 || !sameShape(t.shape, want[key])) throw new TensorShapeMismatchError(source, `classifier.${key}`, want[key], t.shape);
      }
      const linear = (name: 'dense' | 'out_proj') =>
        new FrozenLinear(
          tf.keep(tf.tidy(() => tf.transpose(tf.cast(tensors[`${name}.weight`]!, 'float32')) as tf.Tensor2D)),
          tf.keep(tf.tidy(() => tf.cast(tensors[`${name}.bias`]!, 'float32').clone() as tf.Tensor1D)),
          `classifier.${name}`,
        );
      const old = current();
      install({ dense: linear('dense'), outProj: linear('out_proj') });
      old.dense.dispose();
      old.outProj.dispose();
    },
  };
}
