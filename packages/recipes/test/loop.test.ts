import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import * as recipes from '../src/index.js';
// @ts-expect-error plain ESM helper shared with the child process
import { makeTinyLm, tinyTrainable, toyExamples } from './tiny-lm.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const split = (n = 40): recipes.PaddedSplit<recipes.LmExample, recipes.LmBatch> => recipes.lmSplit(toyExamples(n, 11, 9), 0, 'global');

function base(model: ReturnType<typeof makeTinyLm>, over: Partial<recipes.TrainLoopOptions<recipes.LmBatch>> = {}): recipes.TrainLoopOptions<recipes.LmBatch> {
  return {
    trainable: tinyTrainable(tf, recipes, model),
    data: split(),
    seed: 7,
    epochs: 3,
    batchSize: 4,
    gradAccumulation: 2,
    optimizer: recipes.NLU_ADAMW,
    schedule: (T: number) => recipes.polynomialWithWarmup(0.05, T, recipes.nluWarmupSteps(T)),
    maxGradNorm: 1,
    ...over,
  };
}
const values = (m: ReturnType<typeof makeTinyLm>): Float32Array[] => m.parameters.map(([, v]: [string, tf.Variable]) => v.dataSync() as Float32Array);

describe('training loop', () => {
  it('lowers the loss of the tiny LM, and tf.memory().numTensors is the same after step 10 and step 100', async () => {
    const model = makeTinyLm(tf);
    const counts = new Map<number, number>();
    const losses: number[] = [];
    const r = await recipes.trainLoop(base(model, {
      epochs: 100, maxSteps: 100, gradAccumulation: 1, batchSize: 8,
      schedule: () => recipes.constantSchedule(0.05),
      onStep: (l) => { losses.push(l.loss); counts.set(l.step, tf.memory().numTensors); },
    }));
    expect(r.steps).toBe(100);
    expect(counts.get(10)).toBe(counts.get(100));
    const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(last).toBeLessThan(0.7 * first);
    model.dispose();
  });

  it('leaves tf.memory().numTensors where it found it once the run is over (the optimizer state included)', async () => {
    const model = makeTinyLm(tf);
    const before = tf.memory().numTensors;
    await recipes.trainLoop(base(model, { epochs: 1, maxSteps: 2 }));
    await recipes.trainLoop(base(model, { epochs: 1, maxSteps: 2 }));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('resume after a crash gives bit-identical parameters to an uninterrupted run (in process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peft-loop-'));
    try {
      const a = makeTinyLm(tf);
      await recipes.trainLoop(base(a));
      const want = values(a);
      a.dispose();

      const b = makeTinyLm(tf);
      await expect(recipes.trainLoop(base(b, {
        checkpointDir: dir, checkpointEvery: 3,
        onStep: (l) => { if (l.step === 8) throw new Error('simulated crash'); },
      }))).rejects.toThrow('simulated crash');
      b.dispose();
      const c = makeTinyLm(tf); // fresh initial values: everything must come from the checkpoint
      let restored = -1;
      const r = await recipes.trainLoop(base(c, { checkpointDir: dir, checkpointEvery: 3, resume: true, onResume: (s) => { restored = s.step; } }));
      expect(restored).toBe(6);
      expect(r.resumedFrom).toBe(6);
      expect(r.steps).toBe(15);
      values(c).forEach((v, i) => expect(Buffer.from(v.buffer).equals(Buffer.from(want[i]!.buffer))).toBe(true));
      c.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('early stopping after `patience` epochs without improvement; the best epoch is kept', async () => {
    const model = makeTinyLm(tf);
    const metrics = [3, 2, 2.5, 2.4, 2.1, 1];
    let e = 0;
    const best: number[] = [];
    const r = await recipes.trainLoop(base(model, {
      epochs: 6, patience: 3,
      validate: () => ({ name: 'ppl', value: metrics[e++]!, higherIsBetter: false }),
      onBest: (_v, epoch) => { best.push(epoch); },
    }));
    expect(best).toEqual([0, 1]);
    expect(r.stoppedEarly).toBe(true);
    expect(r.best).toEqual({ value: 2, epoch: 1 });
    expect(r.steps).toBe(5 * 5);
    model.dispose();
  });

  it('refuses a checkpoint of another run (different parameter names)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peft-loop-'));
    try {
      const a = makeTinyLm(tf);
      await recipes.trainLoop(base(a, { checkpointDir: dir, maxSteps: 2 }));
      a.dispose();
      const b = makeTinyLm(tf);
      const other = { ...tinyTrainable(tf, recipes, b), parameters: b.parameters.map(([n, v]: [string, tf.Variable]) => [`x.${n}`, v]) };
      await expect(recipes.trainLoop(base(b, { trainable: other, checkpointDir: dir, maxSteps: 2, resume: true }))).rejects.toThrow(recipes.ResumeError);
      b.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ACCEPTANCE: kill -9 of a training process mid-run, then --resume, ends bit-identical to an uninterrupted run', async () => {
    const dist = join(here, '../dist/index.js');
    expect(existsSync(dist), 'build @peft/recipes first (npm run build)').toBe(true);
    const child = join(here, 'train-child.mjs');
    const full = mkdtempSync(join(tmpdir(), 'peft-full-'));
    const killed = mkdtempSync(join(tmpdir(), 'peft-kill-'));
    try {
      const ref = spawnSync(process.execPath, [child, full, '0', '0'], { encoding: 'utf8' });
      expect(ref.status, ref.stderr).toBe(0);
      // run again, slowly, and kill -9 it after step 8 (last checkpoint: step 6)
      const p = spawn(process.execPath, [child, killed, '0', '150'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/step 8\n/.test(out)) { p.kill('SIGKILL'); }
        });
        p.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended without being killed: ${out}`))));
      });
      expect(existsSync(join(killed, 'final.safetensors'))).toBe(false);
      const resumed = spawnSync(process.execPath, [child, killed, '1', '0'], { encoding: 'utf8' });
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/done 15 resumedFrom 6/);
      expect(resumed.stdout).not.toMatch(/^step [1-6]$/m);
      const a = readFileSync(join(full, 'final.safetensors'));
      const b = readFileSync(join(killed, 'final.safetensors'));
      // same tensors byte for byte (metadata differs only in 'resumed')
      const tensorsA = await recipes_read(a);
      const tensorsB = await recipes_read(b);
      expect(Object.keys(tensorsB)).toEqual(Object.keys(tensorsA));
      for (const k of Object.keys(tensorsA)) expect(Buffer.from(tensorsB[k]!).equals(Buffer.from(tensorsA[k]!))).toBe(true);
    } finally {
      rmSync(full, { recursive: true, force: true });
      rmSync(killed, { recursive: true, force: true });
    }
  });
});

async function recipes_read(buf: Buffer): Promise<Record<string, Uint8Array>> {
  const { parseSafetensors } = await import('@peft/core');
  const f = parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  return Object.fromEntries([...f.tensors].map(([k, e]) => [k, e.data]));
}
