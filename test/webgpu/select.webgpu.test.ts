import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { gpuDeviceNodes } from '@peft/webgpu';
import { FusedKernelNames, hasFusedKernel, selectBackend } from '@peft/core';
import { useBackend } from '../../packages/recipes/src/cli/backend.js';
import { describe, expect, it } from 'vitest';
import { underCi, webgpuOrSkip } from './backend.js';

// Backend selection with WebGPU present: a software adapter only when asked for by name, and what the peft
// command prints about it.
const gpu = await webgpuOrSkip(); // under CI=true a missing adapter fails here

describe.skipIf(!gpu.ready && !underCi)(`selecting WebGPU (${gpu.adapter ?? 'no adapter'})`, () => {
  it('the peft command says which adapter it found and why it skipped each better backend', async () => {
    const lines: string[] = [];
    const choice = await useBackend((l) => lines.push(l), { PEFT_BACKEND: undefined } as NodeJS.ProcessEnv);
    const text = lines.join('\n');
    if (choice.device?.software === false) return; // a real GPU: taken by default (nothing more to check here)
    expect(choice.backend).toBe('wasm');
    expect(text).toMatch(/^backend: wasm \(@tensorflow\/tfjs-backend-wasm\)/m);
    expect(text).toMatch(/^ {2}skipped @tensorflow\/tfjs-node-gpu: not installed$/m);
    // without a GPU device node Dawn is not loaded at all (nor its software drivers' complaints on stderr); with one,
    // a software adapter it finds is refused by name
    const nodes = gpuDeviceNodes(process.platform, (d) => (existsSync(d) ? readdirSync(d) : []));
    expect(text).toMatch(
      nodes?.length === 0
        ? /^ {2}skipped @peft\/webgpu: no GPU device on this machine \(no \/dev\/dri\/renderD\*, \/dev\/nvidia\*, \/dev\/dxg\), so no hardware adapter: Dawn not loaded; PEFT_BACKEND=webgpu tries software adapters too$/m
        : /^ {2}skipped @peft\/webgpu: software adapter '.+' \(runs on the CPU\): used only when asked for by name \(PEFT_BACKEND=webgpu/m,
    );
    expect(text).toMatch(/^ {2}skipped @tensorflow\/tfjs-node: not installed$/m);
  });

  it('PEFT_BACKEND=webgpu takes the software adapter, with @peft/webgpu\'s kernels; release() lets it go', async () => {
    const lines: string[] = [];
    const choice = await useBackend((l) => lines.push(l), { PEFT_BACKEND: 'webgpu' } as NodeJS.ProcessEnv);
    expect(choice.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(choice.device?.name).toBe(gpu.adapter);
    expect(lines[0]).toMatch(/^backend: webgpu \(@peft\/webgpu\): .* \[PEFT_BACKEND=webgpu\]$/);
    expect(lines).toContain(`adapter: ${choice.device!.name}${choice.device!.vendor ? ` (${choice.device!.vendor})` : ''}${choice.device!.software ? ', a software adapter (CPU)' : ''}; Dawn on ${/Dawn on (\w+)/.exec(choice.device!.details ?? '')![1]}`);
    expect(lines).toContain('kernels: @peft/webgpu WGSL AddN, PeftGeluTanh, PeftGeluTanhGrad, PeftSoftmaxCrossEntropy, PeftSoftmaxCrossEntropyGrad, PeftAdamW, PeftDropoutMask, PeftMaskedSoftmax, PeftMaskedSoftmaxGrad, PeftReduceTotal');
    expect(hasFusedKernel(FusedKernelNames.geluTanh)).toBe(true);
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]));
    expect(Array.from(await y.data())).toEqual([3, 3, 3, 3]);
    y.dispose();
    await tf.setBackend('cpu');
    choice.release();
    expect(tf.findBackendFactory('webgpu')).toBeNull();
    // and by package name too, after a release: a fresh probe
    const again = await selectBackend({ only: ['@peft/webgpu'] });
    expect(again.backend).toBe('webgpu');
    await tf.setBackend('cpu');
    again.release();
  });
});
