import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RmsNorm, sampleTopP, silu } from '../src/index.js';

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('RmsNorm', () => {
  const d = 6;
  const x = () => tf.tensor3d(Array.from({ length: 2 * 3 * d }, (_, i) => Math.sin(1.3 * i) * (1 + (i % 5))), [2, 3, d]);
  const gamma = () => tf.tensor1d(Array.from({ length: d }, (_, i) => 1 + 0.1 * Math.cos(i)));

  it('computes x / √(mean(x²) + eps) · γ (transformers LlamaRMSNorm), checked in float64 on the host', () => {
    const norm = new RmsNorm(gamma(), 1e-5);
    const xs = x();
    const y = norm.apply(xs).arraySync() as number[][][];
    const xv = xs.arraySync() as number[][][];
    const g = norm.weight.arraySync() as number[];
    for (const [b, rows] of xv.entries()) {
      for (const [t, row] of rows.entries()) {
        const r = 1 / Math.sqrt(row.reduce((a, v) => a + v * v, 0) / d + 1e-5);
        row.forEach((v, k) => expect(Math.abs(y[b]![t]![k]! - v * r * g[k]!)).toBeLessThan(1e-5));
      }
    }
    xs.dispose();
    norm.dispose();
  });

  it('its custom gradient equals autodiff of the composed formula and keeps no tensor', () => {
    const norm = new RmsNorm(gamma(), 1e-6);
    const xs = x();
    const dy = tf.tensor3d(Array.from({ length: 2 * 3 * d }, (_, i) => Math.cos(0.7 * i)), [2, 3, d]);
    const composed = (v: tf.Tensor) => tf.mul(tf.mul(v, tf.rsqrt(tf.add(tf.mean(tf.square(v), -1, true), 1e-6))), norm.weight);
    const want = tf.grad((v: tf.Tensor) => composed(v))(xs, dy);
    const before = tf.memory().numTensors;
    const got = tf.grad((v: tf.Tensor) => norm.apply(v))(xs, dy);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(maxAbs(got, want)).toBeLessThan(1e-5);
    expect(maxAbs(got, tf.zerosLike(got))).toBeGreaterThan(1e-2);
    tf.dispose([xs, dy, want, got]);
    norm.dispose();
  });
});

describe('silu', () => {
  it('is x·σ(x) with the derivative σ(x)·(1 + x·(1 − σ(x)))', () => {
    const xs = tf.tensor1d([-6, -1.5, -0.2, 0, 0.3, 2, 7]);
    const want = tf.tidy(() => tf.mul(xs, tf.sigmoid(xs)));
    expect(maxAbs(silu(xs), want)).toBeLessThan(1e-6);
    const got = tf.grad((v: tf.Tensor) => silu(v))(xs);
    const auto = tf.grad((v: tf.Tensor) => tf.mul(v, tf.sigmoid(v)))(xs);
    expect(maxAbs(got, auto)).toBeLessThan(1e-6);
    tf.dispose([xs, want, got, auto]);
  });
});

describe('sampleTopP', () => {
  const probs = [0.1, 0.5, 0.05, 0.3, 0.05];

  it('draws in proportion to the probabilities when top-p is 1', () => {
    // order by probability: 1 (0.5), 3 (0.3), 0 (0.1), 2 (0.05), 4 (0.05)
    expect(sampleTopP(probs, 1, 0)).toBe(1);
    expect(sampleTopP(probs, 1, 0.49)).toBe(1);
    expect(sampleTopP(probs, 1, 0.51)).toBe(3);
    expect(sampleTopP(probs, 1, 0.85)).toBe(0);
    expect(sampleTopP(probs, 1, 0.92)).toBe(2);
    expect(sampleTopP(probs, 1, 0.999)).toBe(4);
  });

  it("keeps an id while the ids above it hold less than top-p (transformers' TopPLogitsWarper)", () => {
    // top-p 0.8: 1 (above it 0), 3 (above 0.5) kept; 0 (above 0.8) dropped → the nucleus is {1, 3}, mass 0.8
    expect(sampleTopP(probs, 0.8, 0.6)).toBe(1);
    expect(sampleTopP(probs, 0.8, 0.7)).toBe(3);
    expect(sampleTopP(probs, 0.8, 0.999)).toBe(3);
    // top-p 0.81 takes 0 as well
    expect(sampleTopP(probs, 0.81, 0.99)).toBe(0);
    // a tiny top-p keeps only the most likely id
    expect(sampleTopP(probs, 1e-9, 0.999)).toBe(1);
  });
});
