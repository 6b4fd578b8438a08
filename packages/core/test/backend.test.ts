import * as tf from '@tensorflow/tfjs-core';
import { BackendError, selectBackend } from '@peft/core';
import { afterAll, describe, expect, it } from 'vitest';

describe('selectBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('skips tfjs-node(-gpu) when not installed, takes no software WebGPU adapter unasked, says why, picks wasm before cpu', async () => {
    const skipped: string[] = [];
    const choice = await selectBackend({ onSkip: (pkg) => skipped.push(String(pkg)) });
    if (choice.backend === 'webgpu') {
      // a machine with a GPU: WebGPU is taken on hardware only
      expect(choice.device?.software).toBe(false);
      choice.release();
      return;
    }
    expect(skipped).toEqual(['@tensorflow/tfjs-node-gpu', '@peft/webgpu', '@tensorflow/tfjs-node']);
    const reasons = choice.skipped.map((s) => s.reason);
    expect([reasons[0], reasons[2]]).toEqual(['not installed', 'not installed']);
    // this machine's WebGPU: no GPU device node (Dawn not even loaded), Mesa's llvmpipe (refused: software), or no
    // adapter / no Dawn at all
    expect(reasons[1]).toMatch(/^no GPU device on this machine \(no \/dev\/dri\/renderD\*, \/dev\/nvidia\*, \/dev\/dxg\)|^software adapter '.+' \(runs on the CPU\): used only when asked for by name|^Dawn found no WebGPU adapter|^Dawn for Node/);
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]));
    expect(Array.from(y.dataSync())).toEqual([3, 3, 3, 3]);
  });

  it('can be limited to one backend, and fails with a typed error when none loads', async () => {
    expect((await selectBackend({ only: ['cpu'] })).backend).toBe('cpu');
    const missing = selectBackend({ only: ['@tensorflow/tfjs-node'] });
    await expect(missing).rejects.toThrow(BackendError);
    // asked for by name and not installed: the error names the package to install, not the default backends
    await expect(missing).rejects.toThrow(
      'the backend asked for (@tensorflow/tfjs-node) could not be initialised (tried: @tensorflow/tfjs-node: not installed); install @tensorflow/tfjs-node: npm install @tensorflow/tfjs-node',
    );
  });
});
