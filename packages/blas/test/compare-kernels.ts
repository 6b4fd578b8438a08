import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@peft/core';
import { registerBlasKernels, unregisterBlasKernels } from '@peft/blas';
import { expect } from 'vitest';

// Shared by the kernel tests: seeded inputs, a computation run with tfjs's kernels and with the addon's, and the
// largest difference between two results of the same shape and dtype.

/** A tensor of N(0, 1) draws (int32: ⌊100·N(0, 1)⌋) from a seeded generator. */
export function rand(shape: number[], seed: number, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, () => (dtype === 'int32' ? Math.floor(rng.normal() * 100) : rng.normal())), shape, dtype);
}

/** Runs `f` with tfjs's own kernels and with the addon's, returning both results. */
export function both<T extends tf.Tensor | tf.Tensor[]>(backend: 'wasm' | 'cpu', f: () => T): { want: T; got: T } {
  const want = f();
  registerBlasKernels({ backends: [backend] });
  try {
    return { want, got: f() };
  } finally {
    unregisterBlasKernels();
  }
}

export function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(tf.cast(a, 'float32'), tf.cast(b, 'float32')))).dataSync()[0]!);
}
