import * as tf from '@tensorflow/tfjs-core';
import { Rng, attach, sinusoidal, type PeftMethod } from '@peft/core';
import { adapter } from '@peft/adapter';
import { inducer } from '@peft/inducer';
import { lora } from '@peft/lora';
import { mix } from '@peft/mam';
import { classificationLoss, lmLoss, loadGpt2, loadRoberta } from '@peft/models-gpt2-roberta';
import { prefix } from '@peft/prefix';
import { describe, expect, it } from 'vitest';

// Every method's gradients (tf.variableGrads through the real tiny GPT-2 / RoBERTa, custom-gradient linears, chunked
// loss, kernel attention) agree with central finite differences of the float32 loss.
const TINY_GPT2 = new URL('../test-fixtures/tiny-gpt2', import.meta.url).pathname;
const TINY_ROBERTA = new URL('../test-fixtures/tiny-roberta', import.meta.url).pathname;

/** Sets every parameter to a deterministic non-trivial value, so no gradient is zero by construction (LoRA B = 0). */
function randomise(vars: tf.Variable[]) {
  vars.forEach((v, k) => v.assign(tf.tensor(sinusoidal(k + 1, 0.3)(v.shape, new Rng(0)), v.shape)));
}

/** Central differences (h = 1e-2) at the 3 entries of largest |gradient| of each checked variable. */
function checkGradients(vars: tf.Variable[], loss: () => tf.Scalar) {
  const { grads, value } = tf.variableGrads(loss, vars);
  for (const v of vars) {
    const g = grads[v.name]!.dataSync();
    const top = [...g.keys()].sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!)).slice(0, 3);
    expect(Math.abs(g[top[0]!]!), `${v.name} has a gradient`).toBeGreaterThan(1e-4);
    const base = Float32Array.from(v.dataSync());
    for (const i of top) {
      const at = (delta: number) => {
        const w = Float32Array.from(base);
        w[i]! += delta;
        v.assign(tf.tensor(w, v.shape));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      const h = 1e-2;
      const fd = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(fd - g[i]!), `${v.name}[${i}]: finite difference ${fd} vs autograd ${g[i]}`).toBeLessThanOrEqual(1e-3 + 1e-2 * Math.abs(fd));
    }
    v.assign(tf.tensor(base, v.shape));
  }
  tf.dispose([value, ...Object.values(grads)]);
}

const gpt2Methods: [string, () => PeftMethod][] = [
  ['inducer (default: extension, key MLP)', () => inducer({ keyRank: 2, valueRank: 3 })],
  ['inducer, adaptive, gating', () => inducer({ keyRank: 0, valueRank: 2, gating: true })],
  ['inducer, no extension', () => inducer({ keyRank: 2, valueRank: 2, valueExtension: false })],
  ['LoRA (KA flavour) on q and v', () => lora({ sites: ['attn.q', 'attn.v'], rank: 2, alpha: 4, flavour: 'ka' })],
  ['LoRA (loralib) on ffn.in and attn.o', () => lora({ sites: ['ffn.in', 'attn.o'], rank: 2, alpha: 4, flavour: 'loralib' })],
  ['sequential adapter with LayerNorm', () => adapter({ placement: 'attn-output', bottleneck: 4, layerNormBefore: true })],
  ['parallel adapter, learnable scale', () => adapter({ placement: 'ffn-parallel', bottleneck: 4, scale: 'learnable' })],
  ['prefix, reparameterised', () => prefix({ length: 2, midDim: 4 })],
  ['prefix, plain', () => prefix({ length: 2, reparameterize: false })],
  ['mix: inducer + LoRA + parallel adapter', () => mix(inducer({ keyRank: 2, valueRank: 2 }), lora({ sites: ['attn.q'], rank: 2, alpha: 4 }), adapter({ placement: 'ffn-parallel', bottleneck: 3 }))],
];

describe('gradients of every method agree with finite differences (tiny GPT-2, LM loss)', () => {
  for (const [name, make] of gpt2Methods) {
    it(name, async () => {
      const model = await loadGpt2(TINY_GPT2);
      const tuned = attach(model, make(), { seed: 3 });
      const vars = tuned.trainableVariables();
      randomise(vars);
      const ids = tf.tensor2d([[5, 17, 300, 42, 9, 640], [12, 250, 3, 99, 7, 8]], undefined, 'int32');
      const loss = () => lmLoss(model, model.forward({ inputIds: ids }).hidden, ids, { labelSmoothing: 0.1 });
      // the first layer's parameters (where the gradient has travelled through the whole model)
      const firstLayer = tuned.instance.params.entries().filter(([n]) => /(^|\.)layers\.0\.|(^|\.)0\./.test(n) || !/layers\.\d/.test(n));
      checkGradients((firstLayer.length ? firstLayer : tuned.instance.params.entries()).map(([, v]) => v).slice(0, 6), loss);
      ids.dispose();
      tuned.dispose();
      model.dispose();
    });
  }
});

describe('gradients agree with finite differences on RoBERTa (classification, padding, the λ quirk)', () => {
  it('inducer + LoRA (loralib) + parallel adapter', async () => {
    const model = await loadRoberta(TINY_ROBERTA, { numLabels: 3 });
    const method = mix(inducer({ keyRank: 2, valueRank: 2 }), lora({ sites: ['attn.q'], rank: 2, alpha: 8 }), adapter({ placement: 'ffn-parallel', bottleneck: 3, scale: 2, init: 'lora' }));
    const tuned = attach(model, method, { seed: 4 });
    const vars = tuned.trainableVariables();
    randomise(vars);
    const ids = tf.tensor2d([[0, 31, 400, 77, 2], [0, 88, 2, 1, 1]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], undefined, 'int32');
    const y = tf.tensor1d([2, 0], 'int32');
    const loss = () => classificationLoss(tf.mul(model.classify(model.forward({ inputIds: ids, attentionMask: mask }).hidden), 30) as tf.Tensor2D, y);
    checkGradients(vars.slice(0, 8), loss);
    tf.dispose([ids, mask, y]);
    tuned.dispose();
    model.dispose();
  });
});
