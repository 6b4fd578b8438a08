import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attach, loadAdapter, type MethodInstance, type ModelSpec, type TunableModel } from '@peft/core';
import { inducer } from '../src/index.js';

/** Enough of a model for attach / save / loadAdapter: a spec and a hook slot (the inducer merges nothing). */
function stubModel(spec: ModelSpec): TunableModel & { installed: MethodInstance | null } {
  const none = (): never => {
    throw new Error('not a real model');
  };
  return {
    spec,
    installed: null,
    useMethod(i) {
      this.installed = i;
    },
    baseParameterCount: () => 124_439_808,
    getLinearKernel: none,
    setLinearKernel: none,
    getLinearBias: none,
    setLinearBias: none,
  };
}

describe('inducer adapter files', () => {
  it('save → loadAdapter restores the config and every parameter exactly', async () => {
    const spec: ModelSpec = { architecture: 'roberta', numLayers: 2, hiddenSize: 8, numHeads: 2, headDim: 4, intermediateSize: 16, quirks: { lambdaIgnoresPaddingMask: true } };
    const dir = await mkdtemp(join(tmpdir(), 'peft-inducer-'));
    try {
      const model = stubModel(spec);
      const tuned = attach(model, inducer({ keyRank: 3, valueRank: 2, gating: true, lambdaIgnoresPaddingMask: false }), { seed: 9 });
      expect(model.installed).toBe(tuned.instance);
      expect(tuned.trainableParameters().total).toBe(2 * (8 * 3 + 2 * 3 + 2 * 3 * 4 + 8 + 8 * 2 + 2 * 2 + 2 * 2 * 8 + 8));
      await tuned.save(dir);
      const cfg = JSON.parse(await readFile(join(dir, 'peft_tfjs.json'), 'utf8'));
      expect(cfg.peft_method).toEqual({ type: 'inducer', config: tuned.method.config });
      const model2 = stubModel(spec);
      const loaded = await loadAdapter(dir, model2);
      expect(loaded.method.config).toEqual(tuned.method.config);
      for (const [name, v] of tuned.instance.params.entries()) {
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(loaded.instance.params.get(name), v))).dataSync()[0]);
        expect(diff, name).toBe(0);
      }
      loaded.dispose();
      tuned.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
