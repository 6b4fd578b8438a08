import * as tf from '@tensorflow/tfjs-core';

/**
 * Ops whose gradient keeps no tensor it does not need. tfjs's own Add, Sub, Reshape and Slice save their inputs on the
 * tape only to read their shapes in the backward pass, and Multiply saves both factors; in a training step with
 * activations kept for the backward pass that was most of a block's memory (GPT-2 small: ~180 MB a block at
 * B·T = 1,024, of which ~50 MB is needed). The ops here (an Add, Reshape, Slice, a multiply by a constant mask and a
 * row-wise dot product) take the shapes from the forward pass instead and keep only what their gradient reads.
 */

/**
 * dy summed over the axes `shape` was broadcast along, then reshaped to `shape` — always a new tensor (sharing dy's
 * data when nothing is summed): the engine disposes accumulated gradients, so two inputs must not get the same one.
 */
function sumToShape(dy: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let d = 0; d < dy.rank; d++) if (d < lead || (shape[d - lead] === 1 && dy.shape[d] !== 1)) axes.push(d);
  return tf.reshape(axes.length ? tf.sum(dy, axes) : dy, [...shape]);
}

/** a + b with broadcasting; its gradient keeps nothing. */
export function leanAdd<T extends tf.Tensor>(a: tf.Tensor, b: tf.Tensor): T {
  const aShape = [...a.shape];
  const bShape = [...b.shape];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.add(args[0] as tf.Tensor, args[1] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => [sumToShape(dy, aShape), sumToShape(dy, bShape)],
  }));
  return op(a, b) as T;
}

/** reshape(x, shape); its gradient keeps nothing. */
export function leanReshape<T extends tf.Tensor>(x: tf.Tensor, shape: readonly number[]): T {
  const from = [...x.shape];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.reshape(args[0] as tf.Tensor, [...shape]),
    gradFunc: (dy: tf.Tensor) => tf.reshape(dy, from),
  }));
  return op(x) as T;
}

/** slice(x, begin, size); its gradient (dy padded back into x's shape) keeps nothing. */
export function leanSlice<T extends tf.Tensor>(x: tf.Tensor, begin: readonly number[], size: readonly number[]): T {
  const from = [...x.shape];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const value = tf.slice(args[0] as tf.Tensor, [...begin], [...size]);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => tf.pad(dy, from.map((s, d) => [begin[d]!, s - begin[d]! - value.shape[d]!] as [number, number])),
    };
  });
  return op(x) as T;
}

/**
 * x·mask for a constant mask (dropout: 0 or 1/(1 − rate), broadcastable to x); the gradient keeps only the mask.
 * The value is tfjs's Multiply, bit for bit. `mask` may be a function making it: it then runs off the tape, so the
 * tensors it is drawn from (a uniform draw, its floor) are not kept for a backward pass that never reads them. With
 * `redraw`, the function must give the same values each call (a seeded draw): the tape then keeps nothing, and the
 * backward draws the mask again (a [B, T, d] mask fewer per dropout in a step's peak memory, for a second draw).
 */
export function multiplyByMask<T extends tf.Tensor>(x: T, mask: tf.Tensor | (() => tf.Tensor), options: { redraw?: boolean } = {}): T {
  const redraw = options.redraw === true && typeof mask === 'function';
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const m = typeof mask === 'function' ? mask() : mask;
    if (!redraw) (args[1] as tf.GradSaveFunc)([m]);
    const value = tf.mul(args[0] as tf.Tensor, m);
    if (m !== mask) m.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        redraw ? tf.tidy(() => tf.mul(dy, (mask as () => tf.Tensor)())) : tf.mul(dy, saved[0]!),
    };
  });
  return op(x) as T;
}

/** ⟨a, b⟩ over the last axis of two tensors of the same shape, keeping it (size 1); the gradient keeps a and b, not their product. */
export function rowDot<T extends tf.Tensor>(a: tf.Tensor, b: tf.Tensor): T {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y] = args as tf.Tensor[];
    (args[2] as tf.GradSaveFunc)([x!, y!]);
    return {
      value: tf.sum(tf.mul(x!, y!), -1, true),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[1]!), tf.mul(dy, saved[0]!)],
    };
  });
  return op(a, b) as T;
}
