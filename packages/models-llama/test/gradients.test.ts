import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, attach, modelLinearSites, sinusoidal, type MethodInstance, type PeftMethod } from '@peft/core';
import { adapter } from '@peft/adapter';
import { inducer } from '@peft/inducer';
import { lora } from '@peft/lora';
import { mix } from '@peft/mam';
import { prefix } from '@peft/prefix';
import { lmLoss } from '@peft/models-base';
import { loadLlama, type LlamaModel } from '@peft/models-llama';
import { FIXTURES_ROOT, TINY_LLAMA_DIR } from './fixtures.js';
import { probeInstance } from './probe.js';

const IDS = [
  [5, 17, 300, 42, 9, 640],
  [0, 0, 3, 99, 7, 8],
];
const MASK = [
  [1, 1, 1, 1, 1, 1],
  [0, 0, 1, 1, 1, 1],
];
const LABELS = [
  [-100, 17, 300, 42, 9, 640],
  [-100, -100, -100, 99, 7, 8],
];

/** The LM loss of the fixed batch (left-padded second row, positions counting real tokens). */
function lossOf(model: LlamaModel, checkpointBlocks?: boolean): tf.Scalar {
  const inputIds = tf.tensor2d(IDS, undefined, 'int32');
  const attentionMask = tf.tensor2d(MASK, undefined, 'int32');
  const positionIds = tf.tensor2d([[0, 1, 2, 3, 4, 5], [0, 0, 0, 1, 2, 3]], undefined, 'int32');
  const labels = tf.tensor2d(LABELS, undefined, 'int32');
  const { hidden } = model.forward({ inputIds, attentionMask, positionIds, ...(checkpointBlocks ? { checkpointBlocks } : {}) });
  return lmLoss(model, hidden, labels);
}

/** Gradients of every trainable variable of `instance`, by name. */
function gradients(model: LlamaModel, instance: MethodInstance, checkpointBlocks?: boolean): Record<string, Float32Array> {
  const vars = instance.params.variables();
  const { value, grads } = tf.variableGrads(() => lossOf(model, checkpointBlocks), vars);
  const out: Record<string, Float32Array> = {};
  for (const v of vars) out[v.name] = grads[v.name]!.dataSync() as Float32Array;
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe('gradients on the tiny Llama fixture (GQA, tied head, llama3 rotary, BF16 weights)', () => {
  let model: LlamaModel;
  beforeAll(async () => {
    model = await loadLlama(join(FIXTURES_ROOT, TINY_LLAMA_DIR));
  });
  afterAll(() => model.dispose());

  const allProjections = () => lora({ sites: modelLinearSites(model.spec), rank: 4, alpha: 8 });
  const methods: [string, () => PeftMethod][] = [
    ['LoRA on every projection (q, k, v, o, gate, up, down)', allProjections],
    ['sequential adapter with LayerNorm', () => adapter({ placement: 'attn-output', bottleneck: 4, layerNormBefore: true })],
    ['parallel adapter, learnable scale', () => adapter({ placement: 'ffn-parallel', bottleneck: 4, scale: 'learnable' })],
    ['prefix, reparameterised', () => prefix({ length: 2, midDim: 4 })],
    ['prefix, plain', () => prefix({ length: 3, reparameterize: false })],
    ['inducer (default: extension, key MLP)', () => inducer({ keyRank: 2, valueRank: 3 })],
    ['inducer, adaptive, gating', () => inducer({ keyRank: 0, valueRank: 2, gating: true })],
    ['mix: inducer + LoRA on every projection + parallel adapter', () => mix(inducer({ keyRank: 2, valueRank: 2 }), allProjections(), adapter({ placement: 'ffn-parallel', bottleneck: 3 }))],
  ];
  for (const [name, make] of methods) {
    it(`${name}: the gradient reaches every trainable tensor and matches finite differences`, () => {
      const tuned = attach(model, make(), { seed: 3 });
      try {
        const vars = tuned.trainableVariables();
        expect(vars.length).toBeGreaterThan(0);
        // deterministic non-trivial values, so no gradient is zero by construction (LoRA's B = 0)
        vars.forEach((v, k) => v.assign(tf.tensor(sinusoidal(k + 1, 0.3)(v.shape, new Rng(0)), v.shape)));
        const grads = gradients(model, tuned.instance);
        for (const v of vars) {
          const g = grads[v.name]!;
          expect(g.every(Number.isFinite), v.name).toBe(true);
          expect(Math.sqrt(g.reduce((a, x) => a + x * x, 0)), `${v.name} gradient norm`).toBeGreaterThan(1e-6);
        }
        // central differences at the largest entries of the first layer's tensors (the gradient crossed the model)
        const first = tuned.instance.params.entries().filter(([n]) => /(^|\.)layers\.0\.|(^|\.)0\./.test(n) || !/layers\.\d/.test(n));
        for (const [, v] of first.slice(0, 4)) {
          const g = grads[v.name]!;
          const top = [...g.keys()].sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!)).slice(0, 2);
          const base = Float32Array.from(v.dataSync());
          for (const i of top) {
            const at = (delta: number) => {
              const w = Float32Array.from(base);
              w[i]! += delta;
              v.assign(tf.tensor(w, v.shape));
              return tf.tidy(() => lossOf(model).dataSync()[0]!);
            };
            const fd = (at(3e-3) - at(-3e-3)) / 6e-3;
            expect(Math.abs(fd - g[i]!), `${v.name}[${i}]: fd ${fd} vs autograd ${g[i]}`).toBeLessThanOrEqual(1e-3 + 1e-2 * Math.abs(fd));
          }
          v.assign(tf.tensor(base, v.shape));
        }
      } finally {
        tuned.dispose();
      }
    });
  }

  it('gradients of every hook match central finite differences (rotary, RMSNorm, GQA backward)', () => {
    const instance = probeInstance(model.spec, { linear: true, perQuery: true, shared: 2, outputs: true });
    model.useMethod(instance);
    try {
      for (const name of ['0.U.attn.k', '1.U.ffn.gate', '0.sharedK', '1.U.attn.q']) {
        const v = instance.params.get(name) as tf.Variable;
        const { value, grads } = tf.variableGrads(() => lossOf(model), [v]);
        const g = grads[v.name]!.dataSync();
        const base = Float32Array.from(v.dataSync());
        const h = 1e-2;
        let checked = 0;
        for (const i of [0, 7, Math.floor(base.length / 2), base.length - 3]) {
          const at = (delta: number) => {
            const w = Float32Array.from(base);
            w[i]! += delta;
            v.assign(tf.tensor(w, v.shape));
            return tf.tidy(() => lossOf(model).dataSync()[0]!);
          };
          const fd = (at(h) - at(-h)) / (2 * h);
          expect(Math.abs(fd - g[i]!), `${name}[${i}]: fd ${fd} vs autograd ${g[i]}`).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
          if (Math.abs(fd) > 1e-3) checked++;
        }
        v.assign(tf.tensor(base, v.shape));
        expect(checked, name).toBeGreaterThan(1);
        tf.dispose([value, ...Object.values(grads)]);
      }
    } finally {
      model.useMethod(null);
      instance.dispose();
    }
  });

  it('checkpointed layers give the same gradients as the plain forward', () => {
    const instance = probeInstance(model.spec, { linear: true, perQuery: true, shared: 2, outputs: true });
    model.useMethod(instance);
    try {
      const plain = gradients(model, instance);
      const remat = gradients(model, instance, true);
      for (const [name, g] of Object.entries(plain)) {
        const r = remat[name]!;
        const scale = Math.max(...g.map(Math.abs));
        expect(scale, name).toBeGreaterThan(0);
        expect(Math.max(...g.map((x, i) => Math.abs(x - r[i]!))) / scale, name).toBeLessThan(1e-5);
      }
    } finally {
      model.useMethod(null);
      instance.dispose();
    }
  });
});
