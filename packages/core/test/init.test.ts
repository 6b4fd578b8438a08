import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  MissingTensorError,
  ParameterSet,
  Rng,
  TensorShapeMismatchError,
  EVAL_CONTEXT,
  kaimingUniform,
  normal,
  sinusoidal,
  trainingContext,
  wrappedNormal,
  zeros,
} from '@peft/core';
import { describe, expect, it } from 'vitest';

describe('initialisers', () => {
  it('wrappedNormal is fmod(randn, 2)·s: draws beyond ±2 wrap (2.5 → 0.5), they are not resampled', () => {
    const shape = [20000];
    const got = wrappedNormal(0.01)(shape, new Rng(3));
    const raw = new Rng(3);
    let wrapped = 0;
    for (let i = 0; i < shape[0]!; i++) {
      const x = raw.normal();
      const fmod = x % 2; // JS % is C fmod: sign of the dividend
      expect(got[i]).toBeCloseTo(Math.fround(fmod * 0.01), 9);
      if (Math.abs(x) >= 2) wrapped++;
    }
    // about 4.55% of a standard normal lies beyond ±2 and is wrapped, not redrawn
    expect(wrapped / shape[0]!).toBeGreaterThan(0.035);
    expect(wrapped / shape[0]!).toBeLessThan(0.056);
    expect(Math.max(...got.map(Math.abs))).toBeLessThan(0.02);
  });

  it('kaimingUniform(a=√5) is U(±1/√fanIn), the nn.Linear / loralib bound', () => {
    const v = kaimingUniform(768)([4, 768], new Rng(1));
    const bound = 1 / Math.sqrt(768);
    expect(bound).toBeCloseTo(0.03608, 5);
    expect(Math.max(...v)).toBeLessThanOrEqual(bound);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...v)).toBeGreaterThan(0.95 * bound);
  });

  it('normal(σ) has the asked spread; Rng is deterministic and seed-sensitive', () => {
    const v = normal(0.02)([50000], new Rng(9));
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.0005);
    expect(sd).toBeGreaterThan(0.0196);
    expect(sd).toBeLessThan(0.0204);
    expect(new Rng(5).nextUint32()).toBe(new Rng(5).nextUint32());
    expect(new Rng(5).nextUint32()).not.toBe(new Rng(6).nextUint32());
  });

  it('sinusoidal is the spec §10 golden rule: s·sin(0.7·i + 1.1·t + 0.3)', () => {
    // the spec's input X uses t = 0, s = 1: its first row is [0.295520, 0.841471, 0.991665, …]
    const x = sinusoidal(0, 1)([4, 8], new Rng(0));
    expect(Array.from(x.slice(0, 4)).map((v) => +v.toFixed(6))).toEqual([0.29552, 0.841471, 0.991665, 0.675463]);
    expect(+x[31]!.toFixed(6)).toBe(-0.008851);
  });
});

describe('ParameterSet', () => {
  it('values depend on (seed, name) only, not on creation order', () => {
    const a = new ParameterSet();
    a.create('x', [3], normal(1), 42);
    a.create('y', [3], normal(1), 42);
    const b = new ParameterSet();
    b.create('y', [3], normal(1), 42);
    b.create('x', [3], normal(1), 42);
    expect(Array.from(a.get('x').dataSync())).toEqual(Array.from(b.get('x').dataSync()));
    expect(Array.from(a.get('x').dataSync())).not.toEqual(Array.from(a.get('y').dataSync()));
    expect(a.count()).toBe(6);
    a.dispose();
    b.dispose();
  });

  it('assign checks every name and shape, and rejects extra tensors', () => {
    const s = new ParameterSet();
    s.create('w', [2, 2], zeros, 0);
    const ok = tf.ones([2, 2]);
    s.assign({ w: ok });
    expect(Array.from(s.get('w').dataSync())).toEqual([1, 1, 1, 1]);
    const bad = tf.ones([2, 3]);
    expect(() => s.assign({ w: bad }, 'x.safetensors')).toThrow(TensorShapeMismatchError);
    expect(() => s.assign({}, 'x.safetensors')).toThrow(MissingTensorError);
    expect(() => s.assign({ w: ok, extra: ok }, 'x.safetensors')).toThrow(ConfigError);
    expect(() => s.create('w', [1], zeros, 0)).toThrow(ConfigError);
    s.assign(s.toRecord()); // its own values: a no-op, not a stack overflow
    expect(Array.from(s.get('w').dataSync())).toEqual([1, 1, 1, 1]);
    const ints = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    s.assign({ w: ints }); // cast without leaking the cast
    expect(Array.from(s.get('w').dataSync())).toEqual([1, 2, 3, 4]);
    tf.dispose([ok, bad, ints]);
    const before = tf.memory().numTensors;
    s.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
  });
});

describe('forward contexts', () => {
  it('training dropout is seeded by (seed, step, call order), inverted, and the eval context is the identity', () => {
    const x = tf.ones([1000]);
    const d1 = trainingContext(7, 3).dropout(x, 0.1);
    const d2 = trainingContext(7, 3).dropout(x, 0.1);
    const d3 = trainingContext(7, 4).dropout(x, 0.1);
    const v1 = Array.from(d1.dataSync());
    expect(v1).toEqual(Array.from(d2.dataSync()));
    expect(v1).not.toEqual(Array.from(d3.dataSync()));
    const kept = v1.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.9) < 1e-6)).toBe(true);
    expect(kept.length / 1000).toBeGreaterThan(0.85);
    expect(kept.length / 1000).toBeLessThan(0.95);
    expect(EVAL_CONTEXT.dropout(x, 0.5)).toBe(x);
    expect(() => trainingContext(1, 1).dropout(x, 1)).toThrow(ConfigError);
    tf.dispose([x, d1, d2, d3]);
  });
});
