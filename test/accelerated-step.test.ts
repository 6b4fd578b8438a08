import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { BackendFeatures, attach, backendHasFeature, hasFusedKernel, FusedKernelNames, modelLinearSites, trainingContext } from '@peft/core';
import { lora } from '@peft/lora';
import { loadLlama } from '@peft/models-llama';
import { registerBlasKernels, unregisterBlasKernels } from '@peft/blas';
import { getPreset } from '@peft/mam';
import { classificationLoss, lmLoss, loadGpt2, loadRoberta } from '@peft/models-gpt2-roberta';
import { afterAll, expect, it } from 'vitest';
import { describeWithAddon } from '../packages/blas/test/addon-gate.js';

// A whole training step of the tiny GPT-2 with inducer + LoRA on wasm: with @peft/blas's kernels (the GEMM the build
// and PEFT_BLAS_GEMM chose — own or system BLAS —, fused GELU, native Tanh/Exp/Sum/Mean, copy-free Identity, native
// SplitV/Tile) the loss and every gradient equal those of tfjs's own kernels, and the step leaks nothing.
const TINY_GPT2 = new URL('../test-fixtures/tiny-gpt2', import.meta.url).pathname;
const TINY_LLAMA = new URL('../test-fixtures/tiny-llama', import.meta.url).pathname;
const TINY_ROBERTA = new URL('../test-fixtures/tiny-roberta', import.meta.url).pathname;

type Step = { value: tf.Scalar; grads: tf.NamedTensorMap };

/** The same loss (1e-5) and every gradient within 1e-4 of its largest entry, which must not be 0. */
function expectSameStep(plain: Step, fast: Step, vars: readonly tf.Variable[], label: string): void {
  expect(Math.abs(fast.value.dataSync()[0]! - plain.value.dataSync()[0]!)).toBeLessThan(1e-5);
  for (const v of vars) {
    const a = plain.grads[v.name]!;
    const b = fast.grads[v.name]!;
    const scale = tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]!);
    expect(scale, `${v.name} has a gradient${label}`).toBeGreaterThan(0);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    expect(diff, `${v.name}${label}`).toBeLessThanOrEqual(1e-4 * scale + 1e-7);
  }
}

/**
 * With @peft/blas registered, `step` at each rematerialisation count equals `plain` (expectSameStep) and leaks nothing:
 * a warm-up step, then tensors counted around a second one.
 */
function expectSameStepsLeakFree(plain: Step, step: (checkpointBlocks: number) => Step, vars: readonly tf.Variable[], remats: readonly number[]): void {
  for (const remat of remats) {
    step(remat);
    const before = tf.memory().numTensors;
    const fast = step(remat);
    expectSameStep(plain, fast, vars, ` (remat ${remat})`);
    tf.dispose([fast.value, ...Object.values(fast.grads)]);
    expect(tf.memory().numTensors).toBe(before);
  }
}

/** Non-zero trained weights (LoRA's B starts at 0), so that every path carries gradient. */
function spreadWeights(vars: readonly tf.Variable[]): void {
  vars.forEach((v, i) => v.assign(tf.tidy(() => tf.reshape(tf.mul(tf.sin(tf.add(tf.range(0, v.size, 1, 'float32'), i)), 0.05), v.shape))));
}

describeWithAddon('a training step with @peft/blas equals one without', () => {
  afterAll(async () => {
    unregisterBlasKernels();
    await tf.setBackend('cpu');
  });

  it('same loss and gradients (dropout on, checkpointed blocks), nothing leaked', async () => {
    await tf.setBackend('wasm');
    const model = await loadGpt2(TINY_GPT2);
    const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 0 });
    const vars = tuned.trainableVariables();
    spreadWeights(vars);
    const ids = tf.tensor2d([[5, 9, 2, 7, 1, 3, 8, 4], [6, 6, 1, 0, 2, 9, 3, 5]], [2, 8], 'int32');
    const step = (checkpointBlocks: number) =>
      tf.variableGrads(() => {
        const { hidden } = model.forward({ inputIds: ids, ctx: trainingContext(3, 1), checkpointBlocks });
        return lmLoss(model, hidden, ids, { labelSmoothing: 0.1 });
      }, vars);

    const plain = step(1);
    expect(hasFusedKernel(FusedKernelNames.geluTanh)).toBe(false);
    const status = registerBlasKernels({ backends: ['wasm'] });
    expect(status.kernels).toEqual(expect.arrayContaining(['BatchMatMul', 'PeftGeluTanh', 'PeftGeluTanhGrad', 'Identity', 'SplitV', 'Sum']));
    expect(hasFusedKernel(FusedKernelNames.geluTanh)).toBe(true);
    expectSameStepsLeakFree(plain, step, vars, [1]);
    unregisterBlasKernels();
    tf.dispose([plain.value, ...Object.values(plain.grads), ids]);
    tuned.dispose?.();
    model.dispose();
  });

  // RoBERTa's post-norm layer (LayerNorm after each residual: the fused PeftLayerNorm), the exact GELU, padding masks
  // and the paper's NLU MAM preset: prefix supports, the inducer with λ over unpadded keys (the reference's quirk) and
  // a parallel adapter, dropout on
  it('the same on the tiny RoBERTa with the NLU inducer-MAM preset, padded, blocks kept or rematerialised', async () => {
    await tf.setBackend('wasm');
    const model = await loadRoberta(TINY_ROBERTA, { numLabels: 3 });
    const tuned = attach(model, getPreset('nlu-inducer-mam').build(), { seed: 0 });
    const vars = tuned.trainableVariables();
    spreadWeights(vars);
    const ids = tf.tensor2d([[0, 31, 400, 77, 9, 2], [0, 88, 2, 1, 1, 1]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]], undefined, 'int32');
    const y = tf.tensor1d([2, 0], 'int32');
    const step = (checkpointBlocks: number) =>
      tf.variableGrads(() => {
        const ctx = trainingContext(5, 9);
        const logits = model.classify(model.forward({ inputIds: ids, attentionMask: mask, ctx, checkpointBlocks }).hidden, ctx);
        return classificationLoss(tf.mul(logits, 50) as tf.Tensor2D, y);
      }, vars);
    const plain = step(0);
    expect(hasFusedKernel(FusedKernelNames.layerNorm)).toBe(false);
    registerBlasKernels({ backends: ['wasm'] });
    expect(hasFusedKernel(FusedKernelNames.layerNorm)).toBe(true);
    expectSameStepsLeakFree(plain, step, vars, [0, 1]);
    unregisterBlasKernels();
    tf.dispose([plain.value, ...Object.values(plain.grads), ids, mask, y]);
    tuned.dispose?.();
    model.dispose();
  });

  // Llama's layer: rotary, grouped-query heads (read in place by @peft/blas's tiled attention, repeated without it), the
  // fused SwiGLU, RMSNorm (fused with @peft/blas), and LoRA with dropout
  // on all seven projections — with @peft/blas the A products keep x and redraw the mask in the backward
  it('the same on the tiny Llama with LoRA (dropout) on every projection, blocks kept or rematerialised', async () => {
    await tf.setBackend('wasm');
    const model = await loadLlama(TINY_LLAMA);
    const tuned = attach(model, lora({ sites: modelLinearSites(model.spec), rank: 4, alpha: 8, dropout: 0.2 }), { seed: 0 });
    const vars = tuned.trainableVariables();
    spreadWeights(vars);
    const ids = tf.tensor2d([[5, 9, 2, 7, 1, 3, 8, 4], [6, 6, 1, 0, 2, 9, 3, 5]], [2, 8], 'int32');
    const step = (checkpointBlocks: number) =>
      tf.variableGrads(() => {
        const { hidden } = model.forward({ inputIds: ids, ctx: trainingContext(3, 1), checkpointBlocks });
        return lmLoss(model, hidden, ids);
      }, vars);
    const plain = step(0);
    registerBlasKernels({ backends: ['wasm'] });
    expect(backendHasFeature(BackendFeatures.redrawnDropoutMasks)).toBe(true);
    expect(backendHasFeature(BackendFeatures.groupedKeyValueHeads)).toBe(true); // k, v [B, 2, n, p] go to the kernel as they are
    expectSameStepsLeakFree(plain, step, vars, [0, 1]);
    unregisterBlasKernels();
    tf.dispose([plain.value, ...Object.values(plain.grads), ids]);
    model.dispose();
  });
});
