import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FusedKernelNames, hasFusedKernel } from '@peft/core';
import { registerBlasKernels, unregisterBlasKernels } from '@peft/blas';
import { afterAll, expect, it } from 'vitest';
import { describeWithAddon } from '../packages/blas/test/addon-gate.js';
import { GRADIENT_CASES, compareGradients } from '../packages/attention-kernel/test/autodiff-reference.js';

// The fused attention's custom gradient with @peft/blas's native PeftMaskedSoftmax / PeftMaskedSoftmaxGrad kernels
// (registered into cpu and wasm) equals tfjs's autodiff through the plain composition (tfjs's own kernels), on every
// configuration the models use.

describeWithAddon('fused attention with the native score kernels equals autodiff', () => {
  afterAll(async () => {
    unregisterBlasKernels();
    await tf.setBackend('cpu');
  });
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const c of GRADIENT_CASES) {
      it(`${backend}: ${c.name}`, async () => {
        await tf.setBackend(backend);
        registerBlasKernels({ backends: [backend] });
        expect(hasFusedKernel(FusedKernelNames.maskedSoftmax)).toBe(true);
        const { worst, smallest, valueDiff } = compareGradients(c);
        unregisterBlasKernels();
        expect(valueDiff).toBeLessThan(1e-5);
        expect(smallest).toBeGreaterThan(1e-4);
        expect(worst).toBeLessThan(1e-5);
      });
    }
  }
});
