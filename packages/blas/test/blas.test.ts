import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '@peft/core';
import { blasAvailability, registerBlasKernels, unregisterBlasKernels } from '@peft/blas';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithAddon } from './addon-gate.js';

function rand(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

// [a shape, b shape, transposeA, transposeB]
const forms: [number[], number[], boolean, boolean][] = [
  [[7, 5], [5, 3], false, false],
  [[7, 5], [3, 5], false, true],
  [[5, 7], [5, 3], true, false],
  [[5, 7], [3, 5], true, true],
  [[4, 7, 5], [4, 5, 3], false, false],
  [[2, 3, 6, 4], [2, 3, 5, 4], false, true], // attention scores
  [[2, 3, 6, 5], [2, 3, 5, 4], false, false], // probabilities · values
  [[4, 7, 5], [5, 3], false, false], // b broadcast
  [[7, 5], [4, 5, 3], false, false], // a broadcast
  [[1, 3, 6, 4], [2, 3, 4, 5], false, false], // batch broadcast finer than one operand: tfjs's own kernel
];

describeWithAddon('@peft/blas registers a native BatchMatMul', () => {
  afterAll(async () => {
    unregisterBlasKernels();
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`equals tfjs's own kernel on ${backend} for every matmul form, and its gradient too`, async () => {
      await tf.setBackend(backend);
      for (const [i, [as, bs, ta, tb]] of forms.entries()) {
        const a = rand(as, 2 * i);
        const b = rand(bs, 2 * i + 1);
        const want = tf.matMul(a, b, ta, tb);
        // tfjs 4.22's own BatchMatMul gradient does not reduce over broadcast batch dimensions: compare gradients
        // only where both operands have the same batch shape
        const sameBatch = as.slice(0, -2).join() === bs.slice(0, -2).join();
        const loss = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb))) as tf.Scalar;
        const wantGrad = sameBatch ? tf.grads(loss)([a, b]) : [];
        const status = registerBlasKernels({ backends: [backend] });
        expect(status.registered).toEqual([backend]);
        const got = tf.matMul(a, b, ta, tb);
        const gotGrad = sameBatch ? tf.grads(loss)([a, b]) : [];
        unregisterBlasKernels();
        expect(got.shape).toEqual(want.shape);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!);
        expect(diff, `form ${i}`).toBeLessThan(1e-4);
        for (const k of sameBatch ? [0, 1] : []) {
          const d = tf.tidy(() => tf.max(tf.abs(tf.sub(gotGrad[k]!, wantGrad[k]!))).dataSync()[0]!);
          expect(d, `grad ${k} of form ${i}`).toBeLessThan(1e-3);
        }
        tf.dispose([a, b, want, got, ...wantGrad, ...gotGrad]);
      }
    });
  }

  it('leaks no tensor and no wasm memory', async () => {
    await tf.setBackend('wasm');
    registerBlasKernels({ backends: ['wasm'] });
    const a = rand([64, 32], 1);
    const b = rand([32, 16], 2);
    tf.matMul(a, b).dispose();
    const before = tf.memory();
    for (let i = 0; i < 20; i++) tf.matMul(a, b).dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    unregisterBlasKernels();
    tf.dispose([a, b]);
  });
});

describe('@peft/blas availability', () => {
  it('reports whether it is available: the GEMM in use when it is, the build error when not', () => {
    const s = blasAvailability();
    if (s.available) {
      expect(s.config).toMatch(/^GEMM: (own blocked GEMM|OpenBLAS|Apple Accelerate)/);
      expect(['own', 'openblas', 'accelerate']).toContain(s.gemm);
      expect(s.config).toContain(s.gemm === 'own' ? 'own blocked GEMM' : s.gemm === 'openblas' ? 'OpenBLAS' : 'Accelerate');
    } else {
      expect(s.reason).toMatch(/C compiler/);
      expect(s.reason).toMatch(/build log|no build log/);
    }
  });
});

describeWithAddon('@peft/blas native Tanh and Exp', () => {
  afterAll(async () => {
    unregisterBlasKernels();
    await tf.setBackend('cpu');
  });
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`equal tfjs's kernels on ${backend} (values and gradients), large and small tensors`, async () => {
      await tf.setBackend(backend);
      for (const shape of [[7], [300, 700]]) {
        const x = tf.mul(rand(shape, 3), 4);
        const want = [tf.tanh(x), tf.exp(x), tf.grad((t: tf.Tensor) => tf.tanh(t))(x), tf.grad((t: tf.Tensor) => tf.exp(t))(x)];
        registerBlasKernels({ backends: [backend] });
        const got = [tf.tanh(x), tf.exp(x), tf.grad((t: tf.Tensor) => tf.tanh(t))(x), tf.grad((t: tf.Tensor) => tf.exp(t))(x)];
        unregisterBlasKernels();
        for (const [i, g] of got.entries()) {
          // |got − want| ≤ 2e-7 + 1e-5·|want| (1 − tanh² near |x| ≈ 10 is a difference of float32 ulps)
          const excess = tf.tidy(() => tf.max(tf.sub(tf.abs(tf.sub(g, want[i]!)), tf.add(tf.mul(tf.abs(want[i]!), 1e-5), 2e-7))).dataSync()[0]!);
          expect(excess, `output ${i} at [${shape}]`).toBeLessThanOrEqual(0);
        }
        tf.dispose([x, ...want, ...got]);
      }
    });
  }
});
