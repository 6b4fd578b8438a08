// The training loop's guards, in process: a non-finite loss stops the run naming the step (or, under skip-step, leaves
// the weights as they were); weights never reach a checkpoint non-finite; an aborted `stop` signal ends the run at a
// step boundary with a checkpoint that resumes exactly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import * as recipes from '../src/index.js';
// @ts-expect-error plain ESM helper shared with the child process
import { makeTinyLm, tinyTrainable, toyExamples } from './tiny-lm.mjs';

const dir = mkdtempSync(join(tmpdir(), 'peft-loop-guards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Model = ReturnType<typeof makeTinyLm>;
function options(model: Model, over: Partial<recipes.TrainLoopOptions<recipes.LmBatch>> = {}): recipes.TrainLoopOptions<recipes.LmBatch> {
  return {
    trainable: tinyTrainable(tf, recipes, model),
    data: recipes.lmSplit(toyExamples(24, 11, 9), 0, 'global'),
    seed: 3, epochs: 2, batchSize: 4, optimizer: recipes.NLU_ADAMW,
    schedule: () => recipes.constantSchedule(0.05), maxGradNorm: 1,
    ...over,
  };
}
/** The tiny LM's trainable, with the loss of optimizer steps in `nanSteps` (1-based) made NaN. */
function poisoned(model: Model, nanSteps: Set<number>): recipes.Trainable<recipes.LmBatch> {
  const t = tinyTrainable(tf, recipes, model) as recipes.Trainable<recipes.LmBatch>;
  let calls = 0;
  return { parameters: t.parameters, loss: (b, ctx) => (nanSteps.has(++calls) ? tf.mul(t.loss(b, ctx), NaN) as tf.Scalar : t.loss(b, ctx)) };
}
const snapshot = (m: Model): Float32Array[] => m.parameters.map(([, v]: [string, tf.Variable]) => v.dataSync() as Float32Array);

describe('training loop guards', () => {
  it('a NaN loss at step 3 stops with NonFiniteError naming step 3 and the checkpoint kept; the checkpoint on disk is finite', async () => {
    const model = makeTinyLm(tf);
    const ckpt = join(dir, 'stop');
    const err = await recipes.trainLoop(options(model, { trainable: poisoned(model, new Set([3])), checkpointDir: ckpt, checkpointEvery: 2 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(recipes.NonFiniteError);
    expect((err as recipes.NonFiniteError).step).toBe(3);
    expect((err as Error).message).toMatch(/^step 3: the loss \(NaN\) is not finite; the run folder keeps the checkpoint of step 2/);
    const resumedModel = makeTinyLm(tf);
    const opt = new recipes.AdamW(resumedModel.parameters, recipes.NLU_ADAMW);
    expect((await recipes.readCheckpoint(ckpt, opt)).step).toBe(2);
    opt.dispose();
    model.dispose();
    resumedModel.dispose();
  });

  it('skip-step leaves the weights of a NaN step as they were and goes on; 5 in a row stop the run', async () => {
    const model = makeTinyLm(tf);
    const skipped: number[] = [];
    let before: Float32Array[] = [];
    let after: Float32Array[] = [];
    const r = await recipes.trainLoop(options(model, {
      trainable: poisoned(model, new Set([4])), onNonFinite: 'skip-step', maxSteps: 6,
      onSkippedStep: (s) => skipped.push(s),
      onStep: (l) => {
        if (l.step === 3) before = snapshot(model);
        if (l.step === 4) after = snapshot(model);
      },
    }));
    expect(r.steps).toBe(6);
    expect(skipped).toEqual([4]);
    expect(after).toEqual(before);
    const again = makeTinyLm(tf);
    await expect(recipes.trainLoop(options(again, { trainable: poisoned(again, new Set([2, 3, 4, 5, 6, 7])), onNonFinite: 'skip-step' })))
      .rejects.toThrow(/^step 6: the loss \(NaN\) is not finite; 5 steps in a row were skipped, so the model, not a batch, is broken; nothing was saved; lower --lr/);
    model.dispose();
    again.dispose();
  });

  it('an aborted stop signal ends the run after the step under way with a checkpoint; resuming it gives the uninterrupted weights', async () => {
    const reference = makeTinyLm(tf);
    await recipes.trainLoop(options(reference));
    const model = makeTinyLm(tf);
    const ckpt = join(dir, 'stopped');
    const stop = new AbortController();
    const r = await recipes.trainLoop(options(model, { checkpointDir: ckpt, stop: stop.signal, onStep: (l) => l.step === 4 && stop.abort() }));
    expect(r).toMatchObject({ steps: 4, interrupted: true });
    const resumed = makeTinyLm(tf);
    const done = await recipes.trainLoop(options(resumed, { checkpointDir: ckpt, resume: true }));
    expect(done).toMatchObject({ resumedFrom: 4, interrupted: false });
    expect(snapshot(resumed)).toEqual(snapshot(reference));
    for (const m of [reference, model, resumed]) m.dispose();
  });
});

// oneReadbackPerStep (the default on webgpu): the step's end stays on the backend — clipping coefficient, the AdamW
// update gated on the loss and norm being finite, the weights' finiteness — and is read back once. Here on the test
// backend, against the loop with its three readbacks.
describe('training loop, one readback per step', () => {
  it('gives the losses, gradient norms and weights of the host-side loop (float32 clip coefficient: to 1e-5), with fewer tensors never leaked', async () => {
    const logs = { host: [] as recipes.StepLog[], device: [] as recipes.StepLog[] };
    const models = { host: makeTinyLm(tf), device: makeTinyLm(tf) };
    const tensorsBefore = tf.memory().numTensors;
    for (const side of ['host', 'device'] as const) {
      await recipes.trainLoop(options(models[side], { maxSteps: 5, maxGradNorm: 0.05, oneReadbackPerStep: side === 'device', gradAccumulation: 2, batchSize: 2, onStep: (l) => logs[side].push(l) }));
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(logs.device.length).toBe(5);
    // the norm exceeds the threshold at some steps here, so the clip coefficient (float32 on the device) is exercised
    expect(logs.host.some((l) => l.gradNorm > 0.05)).toBe(true);
    logs.device.forEach((l, i) => {
      expect(l.loss).toBeCloseTo(logs.host[i]!.loss, 5);
      expect(l.gradNorm).toBeCloseTo(logs.host[i]!.gradNorm, 5);
    });
    const [h, d] = [snapshot(models.host), snapshot(models.device)];
    h.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - d[i]![j]!)).toBeLessThan(1e-5)));
    models.host.dispose();
    models.device.dispose();
  });

  it('a NaN loss stops naming the step; under skip-step the gated update leaves weights and moments as they were, so the run ends where the host-side loop does', async () => {
    const model = makeTinyLm(tf);
    const err = await recipes.trainLoop(options(model, { trainable: poisoned(model, new Set([3])), oneReadbackPerStep: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(recipes.NonFiniteError);
    expect((err as Error).message).toMatch(/^step 3: the loss \(NaN\) is not finite; nothing was saved/);
    model.dispose();

    const runs = { host: makeTinyLm(tf), device: makeTinyLm(tf) };
    const skipped = { host: [] as number[], device: [] as number[] };
    let before: Float32Array[] = [];
    let after: Float32Array[] = [];
    for (const side of ['host', 'device'] as const) {
      await recipes.trainLoop(options(runs[side], {
        trainable: poisoned(runs[side], new Set([2, 4])), onNonFinite: 'skip-step', maxSteps: 6, oneReadbackPerStep: side === 'device',
        onSkippedStep: (s) => skipped[side].push(s),
        onStep: (l) => {
          if (side === 'device' && l.step === 3) before = snapshot(runs.device);
          if (side === 'device' && l.step === 4) after = snapshot(runs.device);
        },
      }));
    }
    expect(skipped).toEqual({ host: [2, 4], device: [2, 4] });
    expect(after).toEqual(before);
    // the skipped steps did not count in AdamW's bias correction on either side: the same weights after 6 steps
    const [h, d] = [snapshot(runs.host), snapshot(runs.device)];
    h.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - d[i]![j]!)).toBeLessThan(1e-5)));
    runs.host.dispose();
    runs.device.dispose();
  });
});
