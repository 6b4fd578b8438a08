// Child process of the kill -9 resume test: trains the tiny LM with the BUILT @peft/recipes and writes the final
// parameters to <dir>/final.safetensors. Usage: node train-child.mjs <dir> <resume 0|1> <stepDelayMs>
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { typedArrayToEntry, writeSafetensorsFile } from '@peft/core';
import * as recipes from '../dist/index.js';
import { makeTinyLm, tinyTrainable, toyExamples } from './tiny-lm.mjs';

const [dir, resume, delay] = process.argv.slice(2);
await tf.setBackend('cpu');
const model = makeTinyLm(tf);
const split = recipes.lmSplit(toyExamples(40, 11, 9), 0, 'global');
const result = await recipes.trainLoop({
  trainable: tinyTrainable(tf, recipes, model),
  data: split,
  seed: 7,
  epochs: 3,
  batchSize: 4,
  gradAccumulation: 2,
  optimizer: recipes.NLU_ADAMW,
  schedule: (T) => recipes.polynomialWithWarmup(0.05, T, recipes.nluWarmupSteps(T)),
  maxGradNorm: 1,
  checkpointDir: dir,
  checkpointEvery: 3,
  resume: resume === '1',
  validate: () => ({ name: 'loss', value: 0, higherIsBetter: false }),
  onStep: (l) => {
    process.stdout.write(`step ${l.step}\n`);
    const until = Date.now() + Number(delay);
    while (Date.now() < until);
  },
});
const entries = new Map(model.parameters.map(([n, v]) => [n, typedArrayToEntry(v.dataSync(), v.shape, 'F32')]));
await writeSafetensorsFile(`${dir}/final.safetensors`, entries, { steps: String(result.steps), resumed: String(result.resumedFrom) });
process.stdout.write(`done ${result.steps} resumedFrom ${result.resumedFrom}\n`);
