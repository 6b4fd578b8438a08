import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  EVAL_CONTEXT,
  ParameterSet,
  attach,
  loadAdapter,
  normal,
  parseSafetensors,
  registerMethodType,
  storedParameterCount,
  type MethodInstance,
  type ModelSpec,
  type PeftMethod,
  type TunableModel,
} from '@peft/core';
import { describe, expect, it } from 'vitest';

/**
 * A toy method trained through a reparameterisation it does not store: shift_ℓ = basis ⊙ coef_ℓ added to every
 * attention output. Trained: basis [d] + coef_ℓ [d] per layer; stored: shift_ℓ [d] per layer (`factored: false`).
 */
interface FactoredShiftConfig { readonly factored: boolean }
function factoredShift(config: FactoredShiftConfig): PeftMethod<FactoredShiftConfig> {
  const method: PeftMethod<FactoredShiftConfig> = {
    type: 'test-factored-shift',
    config,
    claims: [{ site: 'attn.output', exclusive: true }],
    describe: () => `factored-shift(${config.factored})`,
    init(spec, options = {}) {
      return makeInstance(method, spec, options.seed ?? 0);
    },
  };
  return method;
}
registerMethodType('test-factored-shift', (c) => factoredShift(c as FactoredShiftConfig));

function makeInstance(method: PeftMethod<FactoredShiftConfig>, spec: ModelSpec, seed: number, shifts?: tf.Tensor[]): MethodInstance {
  const params = new ParameterSet();
  const d = spec.hiddenSize;
  let shift: (layer: number) => tf.Tensor;
  if (method.config.factored) {
    const basis = params.create('basis', [d], normal(1), seed);
    for (let i = 0; i < spec.numLayers; i++) params.create(`layers.${i}.coef`, [d], normal(1), seed);
    shift = (i) => tf.mul(basis, params.get(`layers.${i}.coef`));
  } else {
    for (let i = 0; i < spec.numLayers; i++) {
      if (shifts) params.adopt(`layers.${i}.shift`, shifts[i]!);
      else params.create(`layers.${i}.shift`, [d], normal(1), seed);
    }
    shift = (i) => tf.clone(params.get(`layers.${i}.shift`));
  }
  const instance: MethodInstance = {
    method, spec, params,
    hooks: (i) => ({ attnOutput: (h) => tf.tidy(() => tf.add(h, shift(i))) }),
    ...(method.config.factored
      ? {
          stored: {
            parameterCount: spec.numLayers * d,
            build: () => makeInstance(factoredShift({ factored: false }), spec, seed, Array.from({ length: spec.numLayers }, (_, i) => tf.tidy(() => shift(i)))),
          },
        }
      : {}),
    dispose: () => params.dispose(),
  };
  return instance;
}

class ToyModel implements TunableModel {
  instance: MethodInstance | null = null;
  constructor(readonly spec: ModelSpec) {}
  useMethod(i: MethodInstance | null): void { this.instance = i; }
  baseParameterCount(): number { return 1000; }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      for (let i = 0; i < this.spec.numLayers; i++) h = this.instance?.hooks(i).attnOutput?.(h, EVAL_CONTEXT) ?? h;
      return h;
    });
  }
  getLinearKernel(): tf.Tensor2D { throw new Error('no linears'); }
  setLinearKernel(): void {}
  getLinearBias(): undefined { return undefined; }
  setLinearBias(): void {}
}
const spec: ModelSpec = { architecture: 'gpt2', numLayers: 3, hiddenSize: 4, numHeads: 2, headDim: 2, intermediateSize: 8 };

describe('parameters trained and parameters stored (MethodInstance.stored)', () => {
  it('trainableParameters() reports both, with their share of the base model', () => {
    const tuned = attach(new ToyModel(spec), factoredShift({ factored: true }), { seed: 3 });
    // trained: basis 4 + 3 layers × coef 4 = 16; stored: 3 layers × shift 4 = 12; base 1000
    expect(tuned.trainableParameters()).toMatchObject({ total: 16, percentOfBase: 1.6, stored: 12, storedPercentOfBase: 1.2 });
    expect(storedParameterCount(tuned.instance)).toBe(12);
    const built = tuned.instance.stored!.build();
    expect(built.params.count()).toBe(12);
    built.dispose();
    tuned.dispose();
    const plain = attach(new ToyModel(spec), factoredShift({ factored: false }));
    expect(plain.trainableParameters()).toMatchObject({ total: 12, stored: 12, storedPercentOfBase: 1.2 });
    plain.dispose();
  });

  it('save() writes the stored form; it loads as that method and computes the same outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stored-form-'));
    try {
      const model = new ToyModel(spec);
      const tuned = attach(model, factoredShift({ factored: true }), { seed: 5 });
      const x = tf.zeros([1, 4]);
      const want = model.forward(x);
      const before = tf.memory().numTensors;
      await tuned.save(dir);
      expect(tf.memory().numTensors).toBe(before); // the stored form was disposed, the trained variables kept
      const cfg = JSON.parse(readFileSync(join(dir, 'peft_tfjs.json'), 'utf8'));
      expect(cfg.peft_method).toEqual({ type: 'test-factored-shift', config: { factored: false } });
      const file = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors'))));
      expect([...file.tensors.keys()].sort()).toEqual(['layers.0.shift', 'layers.1.shift', 'layers.2.shift']);
      const fresh = new ToyModel(spec);
      const loaded = await loadAdapter(dir, fresh);
      expect(loaded.trainableParameters()).toMatchObject({ total: 12, stored: 12 });
      const got = fresh.forward(x);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      expect(Array.from(want.dataSync()).some((v) => v !== 0)).toBe(true);
      tf.dispose([x, want, got]);
      loaded.dispose();
      tuned.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
