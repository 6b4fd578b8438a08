import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.tidy` for a function returning a plain object of tensors (with numbers, arrays and nested objects): every
 * tensor reachable from the result is kept, everything else made inside is disposed. tfjs' TensorContainer type does
 * not admit interfaces with optional fields, hence the casts.
 */
export function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/** The gradient function of a custom-gradient op: dy and the saved tensors → one gradient per input. */
export type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/**
 * `tf.customGrad` with typed inputs: `f(inputs, save)` returns the value and its gradient function. The forward runs
 * without a tape; whatever the backward needs from the forward must be passed to `save`.
 */
export function customOp(
  f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: GradFunc },
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return f(args.slice(0, -1) as tf.Tensor[], save);
  });
  return (...inputs: tf.Tensor[]) => op(...inputs);
}
