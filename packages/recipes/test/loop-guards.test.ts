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
