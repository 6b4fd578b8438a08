import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FusedKernelNames, runFusedKernel } from '@peft/core';
import { registerBlasKernels, unregisterBlasKernels } from '@peft/blas';
import { afterAll, afterEach, expect, it } from 'vitest';
import { describeWithAddon } from './addon-gate.js';
import { both, maxDiff, rand } from './compare-kernels.js';

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const geluGrad = (x: number) => {
  const c = Math.sqrt(2 / Math.PI);
  const t = Math.tanh(c * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
};

describeWithAddon('@peft/blas kernels beside tfjs', () => {
  afterEach(() => unregisterBlasKernels());
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('splits a large product over threads by rows or by columns, every transpose form, as tfjs computes it', async () => {
    await tf.setBackend('wasm');
    // above the addon's 4 Mi multiply-add threshold: one block of rows (m ≥ n) or columns (m < n) per thread
    for (const [m, n, k] of [[300, 130, 120], [130, 300, 120]] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = rand(ta ? [k, m] : [m, k], m + k);
          const b = rand(tb ? [n, k] : [k, n], n + 1);
          const { want, got } = both('wasm', () => tf.matMul(a, b, ta, tb));
          expect(maxDiff(got, want), `m ${m} n ${n} ta ${ta} tb ${tb}`).toBeLessThan(1e-4);
          tf.dispose([a, b, want, got]);
        }
      }
    }
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`PeftGeluTanh and its gradient equal gelu_new in float64 on ${backend}, large and small tensors`, async () => {
      await tf.setBackend(backend);
      registerBlasKernels({ backends: [backend] });
      for (const n of [37, 200_003]) {
        const xs = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % n) / n * 16 - 8);
        const dys = Float32Array.from({ length: n }, (_, i) => 1 + (i % 5) / 10);
        const x = tf.tensor1d(xs);
        const dy = tf.tensor1d(dys);
        const y = runFusedKernel(FusedKernelNames.geluTanh, { x }).dataSync();
        const dx = runFusedKernel(FusedKernelNames.geluTanhGrad, { x, dy }).dataSync();
        let errY = 0;
        let errD = 0;
        for (let i = 0; i < n; i++) {
          errY = Math.max(errY, Math.abs(y[i]! - gelu(xs[i]!)) / Math.max(1, Math.abs(gelu(xs[i]!))));
          errD = Math.max(errD, Math.abs(dx[i]! - dys[i]! * geluGrad(xs[i]!)) / Math.max(1, Math.abs(dys[i]! * geluGrad(xs[i]!))));
        }
        expect(errY, `gelu, n ${n}`).toBeLessThan(1e-6);
        expect(errD, `gelu grad, n ${n}`).toBeLessThan(2e-6);
        tf.dispose([x, dy]);
      }
    });

    it(`Tanh and Exp keep the special values on ${backend}`, async () => {
      await tf.setBackend(backend);
      const x = tf.tensor1d([0, -0.5, 0.5, 1e-30, -20, 20, 88, -88, -104, 89, Infinity, -Infinity, NaN]);
      const { want, got } = both(backend, () => [tf.tanh(x), tf.exp(x)]);
      for (const [i, g] of got.entries()) {
        const a = g.dataSync();
        const b = want[i]!.dataSync();
        for (let j = 0; j < a.length; j++) {
          if (Number.isNaN(b[j]!) || !Number.isFinite(b[j]!)) expect(a[j], `op ${i} at ${x.dataSync()[j]}`).toBe(b[j]);
          else expect(Math.abs(a[j]! - b[j]!), `op ${i} at ${x.dataSync()[j]}`).toBeLessThanOrEqual(1e-6 * Math.abs(b[j]!) + 1e-44);
        }
      }
      tf.dispose([x, ...want, ...got]);
    });

    it(`Sum and Mean over leading, trailing and other axes equal tfjs's on ${backend}`, async () => {
      await tf.setBackend(backend);
      const x = rand([6, 40, 300], 5); // large enough for the threaded path
      const cases: [number | number[], boolean][] = [[-1, false], [2, true], [[1, 2], false], [0, false], [[0, 1], true], [1, false], [[0, 2], false]];
      for (const [axis, keepDims] of cases) {
        const { want, got } = both(backend, () => [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)]);
        expect(maxDiff(got[0]!, want[0]!), `sum ${axis}`).toBeLessThan(1e-3);
        expect(maxDiff(got[1]!, want[1]!), `mean ${axis}`).toBeLessThan(1e-5);
        tf.dispose([...want, ...got]);
      }
      const ints = rand([4, 5], 6, 'int32');
      const { want, got } = both(backend, () => tf.sum(ints, 0));
      expect(got.dtype).toBe('int32');
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([x, ints, want, got]);
    });
  }

  it('SplitV and Tile copy exactly what tfjs copies, float32 and int32, any axis', async () => {
    await tf.setBackend('wasm');
    for (const dtype of ['float32', 'int32'] as const) {
      const x = rand([3, 4, 6], 7, dtype);
      for (const [sizes, axis] of [[3, -1], [[1, 2, 3], 2], [[2, 0, 2], 1], [[1, 2], 0], [2, 1]] as const) {
        const { want, got } = both('wasm', () => tf.split(x, sizes as number | number[], axis));
        expect(got.length).toBe(want.length);
        for (const [i, g] of got.entries()) expect(Array.from(g.dataSync())).toEqual(Array.from(want[i]!.dataSync()));
        tf.dispose([...want, ...got]);
      }
      for (const reps of [[1, 1, 1], [2, 1, 3], [1, 3, 1], [4, 2, 1]]) {
        const { want, got } = both('wasm', () => tf.tile(x, reps));
        expect(got.shape).toEqual(want.shape);
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        tf.dispose([want, got]);
      }
      const v = rand([5], 8, dtype);
      const { want, got } = both('wasm', () => tf.tile(v, [3]));
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([x, v, want, got]);
    }
  });

  it('Identity shares data without a copy, and each tensor stays valid after the other is disposed', async () => {
    await tf.setBackend('wasm');
    registerBlasKernels({ backends: ['wasm'] });
    const x = rand([1000], 9);
    const values = Array.from(x.dataSync());
    const buffers = () => tf.engine().backend.numDataIds();
    const before = buffers();
    const y = tf.clone(x);
    expect(buffers()).toBe(before); // no new data
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(values);
    const z = tf.clone(y);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual(values);
    z.dispose();
    expect(buffers()).toBe(before - 1); // freed with the last tensor that shares it
  });

  it('leaks no tensor and no wasm memory through any of its kernels', async () => {
    await tf.setBackend('wasm');
    registerBlasKernels({ backends: ['wasm'] });
    const x = rand([64, 96], 10);
    const once = () =>
      tf.tidy(() => {
        const [a, b] = tf.split(x, 2, 1);
        const g = runFusedKernel(FusedKernelNames.geluTanhGrad, { x: a!, dy: runFusedKernel(FusedKernelNames.geluTanh, { x: b! }) });
        return tf.sum(tf.add(tf.exp(tf.tanh(tf.tile(g, [2, 1]))), tf.mean(tf.clone(tf.matMul(x, x, true, false)))));
      });
    once().dispose();
    const before = tf.memory();
    const dataIds = tf.engine().backend.numDataIds();
    for (let i = 0; i < 10; i++) once().dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    x.dispose();
  });
});
