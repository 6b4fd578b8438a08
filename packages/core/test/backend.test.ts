import * as tf from '@tensorflow/tfjs-core';
import { BackendError, selectBackend } from '@peft/core';
import { afterAll, describe, expect, it } from 'vitest';

describe('selectBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('skips tfjs-node(-gpu) when not installed, says why, and picks wasm before cpu', async () => {
    const skipped: string[] = [];
    const choice = await selectBackend({ onSkip: (pkg) => skipped.push(String(pkg)) });
    expect(skipped).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(choice.skipped.map((s) => s.reason)).toEqual(['not installed', 'not installed']);
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]));
    expect(Array.from(y.dataSync())).toEqual([3, 3, 3, 3]);
  });

  it('can be limited to one backend, and fails with a typed error when none loads', async () => {
    expect((await selectBackend({ only: ['cpu'] })).backend).toBe('cpu');
    await expect(selectBackend({ only: ['@tensorflow/tfjs-node'] })).rejects.toThrow(BackendError);
  });
});
