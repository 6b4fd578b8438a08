import * as tf from '@tensorflow/tfjs-core';
import { attach } from '@peft/core';
import { PRESETS } from '@peft/mam';
import { lmLoss, loadGpt2 } from '@peft/models-gpt2-roberta';
import { NLG_ADAMW, constantSchedule, trainLoop, type Trainable } from '@peft/recipes';
import { countGpuWork, registerWebgpuKernels, type GpuWorkCounts } from '@peft/webgpu';
import { describe, expect, it } from 'vitest';
import { deviceErrors, onBackend, underCi, webgpuOrSkip } from './backend.js';

// What one step of `peft train`'s loop sends to the GPU (@peft/webgpu's countGpuWork), on the tiny GPT-2 fixture with
// inducer-lora, dropout on: the counts do not depend on the adapter, so they are asserted exactly enough to catch a
// regression — at most the figures measured when the step's end went on the device (issue 26: one readback, no
// pipeline after the first step, the fused AdamW, norm, dropout-mask and attention score-step kernels), and below the
// loop with its three readbacks and tfjs's composed optimizer, masks, norm and attention. `npm run bench -- --backend webgpu --reduced` prints the
// same counts for the GPT-2-small-shaped step.
const gpu = await webgpuOrSkip(); // under CI=true a missing adapter fails here
const GPT2 = new URL('../../test-fixtures/tiny-gpt2', import.meta.url).pathname;

/** Measured on this step (tiny GPT-2: 2 layers × 32, 4 heads; B 2 × T 8; before the cut 867 dispatches, 60 submits, 254
 * uploads, 3 readbacks); a change that sends more fails here. */
const AT_MOST = { dispatches: 526, submits: 36, mappedUploads: 35, readbacks: 1, pipelines: 0 };

/** The loop's counts per step (steps 2…4: the first compiles the pipelines), one-readback mode or not; the losses. */
async function stepCounts(oneReadbackPerStep: boolean, fused: boolean): Promise<{ counts: GpuWorkCounts[]; losses: number[] }> {
  return onBackend('webgpu', async () => {
    registerWebgpuKernels({ fused });
    const model = await loadGpt2(GPT2);
    const tuned = attach(model, PRESETS['inducer-lora']!.build(), { seed: 1 });
    const ids = [[5, 17, 600, 42, 9, 640, 3, 650], [12, 250, 601, 99, 7, 8, 1, 2]];
    const trainable: Trainable<number[][]> = {
      parameters: tuned.instance.params.entries(),
      loss: (b, ctx) => tf.tidy(() => {
        const inputIds = tf.tensor2d(b, undefined, 'int32');
        return lmLoss(model, model.forward({ inputIds, ctx }).hidden, inputIds, { labelSmoothing: 0.1 });
      }),
    };
    const counter = countGpuWork((tf.backend() as unknown as { device: unknown }).device);
    let mark = counter.read();
    const counts: GpuWorkCounts[] = [];
    const losses: number[] = [];
    try {
      await trainLoop<number[][]>({
        trainable, data: { size: 1, batch: () => ids }, seed: 7, epochs: 4, batchSize: 1, optimizer: NLG_ADAMW,
        schedule: () => constantSchedule(1e-2), maxGradNorm: 1, oneReadbackPerStep,
        onStep: (s) => {
          counts.push(counter.since(mark));
          mark = counter.read();
          losses.push(s.loss);
        },
      });
    } finally {
      counter.stop();
      tuned.dispose();
      model.dispose();
      registerWebgpuKernels();
    }
    return { counts: counts.slice(1), losses };
  });
}

describe.skipIf(!gpu.ready && !underCi)(`GPU work of one training step (${gpu.adapter ?? 'no adapter'})`, () => {
  it('one readback, each pipeline made once, and no more dispatches, submits or uploads than measured; fewer than the three-readback loop; the same losses', async () => {
    const errors = deviceErrors().length;
    const now = await stepCounts(true, true);
    const before = await stepCounts(false, false);
    expect(deviceErrors().slice(errors), 'WebGPU device errors').toEqual([]);
    process.stderr.write(`step counts: one readback ${JSON.stringify(now.counts.at(-1))}; three readbacks, composed ${JSON.stringify(before.counts.at(-1))}\n`);
    // pipelines: each made once — step 2 makes one Tile pipeline that step 1 did not need (tfjs runs a small op on
    // the CPU while its inputs are still there: the loaded weights), none after
    expect(now.counts.map((c) => c.pipelines)).toEqual([1, 0, 0]);
    now.counts.forEach((c, s) => {
      for (const [k, limit] of Object.entries(AT_MOST)) if (k !== 'pipelines' || s > 0) expect(c[k as keyof GpuWorkCounts], `${k} at step ${s + 2}`).toBeLessThanOrEqual(limit);
    });
    const [a, b] = [now.counts.at(-1)!, before.counts.at(-1)!];
    expect(b.readbacks).toBe(3);
    for (const k of ['dispatches', 'submits', 'mappedUploads', 'mappedUploadBytes'] as const) expect(a[k], k).toBeLessThan(b[k]);
    now.losses.forEach((l, s) => expect(Math.abs(l - before.losses[s]!), `loss of step ${s + 1}`).toBeLessThanOrEqual(1e-5 * Math.abs(l)));
  });
});
