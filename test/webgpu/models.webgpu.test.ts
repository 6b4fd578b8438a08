import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, Rng, attach, hasFusedKernel, sinusoidal, trainingContext, type TunedModel } from '@peft/core';
import { PRESETS } from '@peft/mam';
import { Gpt2Model, RobertaModel, classificationLoss, lmLoss, loadGpt2, loadRoberta } from '@peft/models-gpt2-roberta';
import { NLG_ADAMW, NLU_ADAMW, constantSchedule, trainLoop, type Trainable } from '@peft/recipes';
import { describe, expect, it } from 'vitest';
import { deviceErrors, onBackend, underCi, webgpuOrSkip } from './backend.js';

// Every preset of @peft/mam on the tiny GPT-2 and RoBERTa fixtures: the loss, the gradient of every trainable tensor
// and three steps of the training loop (AdamW, global-norm clipping, dropout) on WebGPU equal the cpu backend's, and
// WebGPU leaks no tensor. Tolerances (float32 both sides; the GPU sums in other orders — tiled matmuls, tree
// reductions — and its exp/log/tanh are a few ulp off): the loss to 2e-6 relative; each gradient tensor to
// 2e-4 of its own largest entry plus 1e-6 of the largest gradient overall (entries that are pure cancellation noise
// differ absolutely, not relatively); the loop's step losses to 1e-5 relative; parameters after three steps to 1 % of
// the learning rate per step taken — Adam moves every entry by about lr·g/(|g| + eps) whatever the size of g, so an
// entry whose gradient is near eps (1e-6) passes on the gradient's relative rounding error undamped (measured up to
// 0.3 % of lr per step, mam-adapter's prefix embedding).
const gpu = await webgpuOrSkip(); // under CI=true a missing adapter fails here
const GPT2 = new URL('../../test-fixtures/tiny-gpt2', import.meta.url).pathname;
const ROBERTA = new URL('../../test-fixtures/tiny-roberta', import.meta.url).pathname;
const LR = 1e-2;
const STEPS = 3;

interface Batch { readonly ids: number[][]; readonly labels: number[][] | number[]; readonly mask?: number[][] }

interface Run {
  readonly loss: number;
  readonly grads: Float32Array[];
  readonly stepLosses: number[];
  readonly params: Float32Array[];
  readonly names: string[];
}

/** The model with the preset attached and every trainable tensor set to deterministic non-zero values. */
async function build(preset: string): Promise<{ model: Gpt2Model | RobertaModel; tuned: TunedModel; trainable: Trainable<Batch>; batch: Batch }> {
  const nlg = PRESETS[preset]!.family === 'nlg';
  const model = nlg ? await loadGpt2(GPT2) : await loadRoberta(ROBERTA, { numLabels: 3, seed: 5 });
  if (model instanceof Gpt2Model) model.addSpecialTokens(3, { trainable: true, seed: 9 }); // the recipes' task-token rows
  const tuned = attach(model, PRESETS[preset]!.build(), { seed: 1 });
  const parameters = [...tuned.instance.params.entries(), ...(model instanceof Gpt2Model ? model.extraTrainables().entries() : [])];
  parameters.forEach(([, v], k) => v.assign(tf.tidy(() => tf.tensor(sinusoidal(k + 1, 0.2)(v.shape, new Rng(k)), v.shape))));
  const batch: Batch = nlg
    ? { ids: [[5, 17, 657, 42, 9, 640, 3, 658], [12, 250, 659, 99, 7, 8, 1, 2]], labels: [[-100, -100, 657, 42, 9, 640, 3, 658], [-100, 250, 659, 99, 7, 8, -100, -100]] }
    : { ids: [[0, 31, 400, 77, 2], [0, 88, 2, 1, 1]], mask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], labels: [2, 0] };
  const trainable: Trainable<Batch> = {
    parameters,
    loss: (b, ctx) =>
      tf.tidy(() => {
        const inputIds = tf.tensor2d(b.ids, undefined, 'int32');
        if (model instanceof Gpt2Model) return lmLoss(model, model.forward({ inputIds, ctx }).hidden, tf.tensor2d(b.labels as number[][], undefined, 'int32'), { labelSmoothing: 0.1 });
        const attentionMask = tf.tensor2d(b.mask!, undefined, 'int32');
        return classificationLoss(model.classify(model.forward({ inputIds, attentionMask, ctx }).hidden, ctx), tf.tensor1d(b.labels as number[], 'int32'));
      }),
  };
  return { model, tuned, trainable, batch };
}

async function run(backend: string, preset: string): Promise<Run> {
  return onBackend(backend, async () => {
    const { model, tuned, trainable, batch } = await build(preset);
    const vars = trainable.parameters.map(([, v]) => v);
    // on webgpu the fused kernels are the ones in use (GELU in GPT-2's MLP, the LM loss)
    if (backend === 'webgpu') expect([FusedKernelNames.geluTanh, FusedKernelNames.softmaxCrossEntropy].map(hasFusedKernel)).toEqual([true, true]);
    const initial: Float32Array[] = [];
    for (const v of vars) initial.push((await v.data()) as Float32Array);
    const { value, grads } = tf.variableGrads(() => trainable.loss(batch, trainingContext(3, 1)), vars);
    const loss = (await value.data())[0]!;
    const g: Float32Array[] = [];
    for (const v of vars) g.push((await grads[v.name]!.data()) as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
    const before = tf.memory().numTensors; // after the first pass, which makes the head's transposed table once
    const stepLosses: number[] = [];
    await trainLoop<Batch>({
      trainable, data: { size: 1, batch: () => batch }, seed: 7, epochs: STEPS, batchSize: 1,
      optimizer: PRESETS[preset]!.family === 'nlg' ? NLG_ADAMW : NLU_ADAMW, schedule: () => constantSchedule(LR), maxGradNorm: 1,
      onStep: (s) => stepLosses.push(s.loss),
    });
    expect(tf.memory().numTensors, `${backend}: tensors leaked by the gradient and the loop`).toBe(before);
    const params: Float32Array[] = [];
    for (const v of vars) params.push((await v.data()) as Float32Array);
    vars.forEach((v, k) => expect(maxDiff(params[k]!, initial[k]!), `${v.name} moved`).toBeGreaterThan(0.1 * LR));
    const names = trainable.parameters.map(([n]) => n);
    tuned.dispose();
    model.dispose();
    return { loss, grads: g, stepLosses, params, names };
  });
}

const maxAbs = (a: Float32Array): number => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe.skipIf(!gpu.ready && !underCi)(`every preset on WebGPU equals cpu (${gpu.adapter ?? 'no adapter'})`, () => {
  for (const preset of Object.keys(PRESETS)) {
    it(preset, async () => {
      const errors = deviceErrors().length;
      const cpu = await run('cpu', preset);
      const webgpu = await run('webgpu', preset);
      expect(deviceErrors().slice(errors), 'WebGPU device errors').toEqual([]);
      expect(Math.abs(webgpu.loss - cpu.loss), 'loss').toBeLessThanOrEqual(2e-6 * Math.abs(cpu.loss));
      const overall = Math.max(...cpu.grads.map(maxAbs));
      cpu.grads.forEach((g, k) => {
        expect(maxAbs(g), `${cpu.names[k]} has a gradient`).toBeGreaterThan(0);
        expect(maxDiff(webgpu.grads[k]!, g), `gradient of ${cpu.names[k]}`).toBeLessThanOrEqual(2e-4 * maxAbs(g) + 1e-6 * overall);
      });
      cpu.stepLosses.forEach((l, s) => expect(Math.abs(webgpu.stepLosses[s]! - l), `loss of step ${s + 1}`).toBeLessThanOrEqual(1e-5 * Math.abs(l)));
      cpu.params.forEach((p, k) => expect(maxDiff(webgpu.params[k]!, p), `${cpu.names[k]} after ${STEPS} steps`).toBeLessThanOrEqual(1e-2 * LR * STEPS));
    });
  }
});
