import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames } from '@peft/core';
import { hasTiledAttention } from '@peft/attention-kernel';
import { expect, it } from 'vitest';
import { describeWithAddon } from '../packages/blas/test/addon-gate.js';
import { loadAddon } from '../packages/blas/src/addon.js';
import { attentionTiledGradKernel, attentionTiledKernel } from '../packages/blas/src/attention-kernels.js';

// The models' float64 golden tests (GPT-2 with left padding — rows that see only padded keys —, per-query and shared
// supports; RoBERTa with right padding and λ's quirk) run again with @peft/blas's tiled attention kernels registered
// into the cpu backend — those two alone, every other kernel tfjs's own — so that every attention in them goes through
// the tiles instead of the dense path, against the same float64 reference and tolerance.
await tf.setBackend('cpu');
const loaded = loadAddon();
if ('addon' in loaded) {
  tf.registerKernel({ kernelName: FusedKernelNames.attentionTiled, backendName: 'cpu', kernelFunc: attentionTiledKernel('cpu', loaded.addon) as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: FusedKernelNames.attentionTiledGrad, backendName: 'cpu', kernelFunc: attentionTiledGradKernel('cpu', loaded.addon) as unknown as tf.KernelFunc });
}
await import('../packages/models-gpt2-roberta/test/forward-reference.test.js');

describeWithAddon('the golden forward tests above ran on the tiled attention', () => {
  it('has PeftAttentionTiled and its gradient registered on cpu', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(hasTiledAttention()).toBe(true);
  });
});
