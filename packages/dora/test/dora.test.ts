import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ConfigError, EVAL_CONTEXT, attach, describeMethod, methodFromDescriptor, trainingContext, type LinearSite } from '@peft/core';
import { lora } from '@peft/lora';
import { dora, magnitudeParamName } from '../src/index.js';
import { DENSE_SITES, LinearSitesModel, TINY_GPT2, maxAbsDiff, randomise, values } from './helpers.js';

function forwardAll(model: LinearSitesModel, x: tf.Tensor, xff: tf.Tensor, sites: readonly LinearSite[] = DENSE_SITES): Float32Array[] {
  const out: Float32Array[] = [];
  for (let l = 0; l < model.spec.numLayers; l++) {
    for (const s of sites) {
      const y = model.site(l, s, s === 'ffn.out' ? xff : x, EVAL_CONTEXT);
      out.push(y.dataSync() as Float32Array);
      y.dispose();
    }
  }
  return out;
}

describe('DoRA config', () => {
  it("is LoRA's config (same defaults, same validation), named dora in errors; unknown fields and KA are refused", () => {
    const m = dora();
    expect(m.type).toBe('dora');
    expect(m.config).toEqual(lora().config);
    expect(m.describe()).toBe('DoRA on attn.q r=8, attn.v r=8, α=8, dropout 0');
    const refused = (o: unknown): ConfigError => {
      try {
        dora(o as object);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return e as ConfigError;
      }
      throw new Error(`accepted ${JSON.stringify(o)}`);
    };
    expect(refused({ rnak: 4 }).field).toBe('dora.rnak');
    expect(refused({ rnak: 4 }).message).toMatch(/^dora\.rnak: unknown field \(known: sites, allSites, rank/);
    expect(refused({ rank: 0 }).field).toBe('dora.rank');
    expect(refused({ sites: ['attn.x'] }).field).toBe('dora.sites');
    expect(refused({ flavour: 'ka' }).field).toBe('dora.flavour');
    expect(refused({ sites: ['attn.q'], rank: { 'attn.v': 2 } }).message).toMatch(/one of the DoRA sites/);
  });

  it('round-trips through its descriptor (registered as "dora")', () => {
    const m = dora({ sites: ['attn.q', 'ffn.in'], rank: { 'attn.q': 2, 'ffn.in': 3 }, alpha: 4, rslora: true, layers: [1] });
    const back = methodFromDescriptor(JSON.parse(JSON.stringify(describeMethod(m))));
    expect(back.type).toBe('dora');
    expect(back.config).toEqual(m.config);
  });

  it('trains A, B (LoRA names and shapes) and one magnitude per output feature', () => {
    const inst = dora({ sites: ['attn.q', 'ffn.in'], rank: 2 }).init(TINY_GPT2);
    expect(inst.params.rows().filter((r) => r.name.startsWith('layers.0.'))).toEqual([
      { name: 'layers.0.attn.q.lora_A', shape: [2, 8], size: 16 },
      { name: 'layers.0.attn.q.lora_B', shape: [8, 2], size: 16 },
      { name: 'layers.0.ffn.in.lora_A', shape: [2, 8], size: 16 },
      { name: 'layers.0.ffn.in.lora_B', shape: [12, 2], size: 24 },
      { name: 'layers.0.attn.q.lora_magnitude_vector', shape: [8], size: 8 },
      { name: 'layers.0.ffn.in.lora_magnitude_vector', shape: [12], size: 12 },
    ]);
    // A as @peft/lora initialises it (same seed, same name, same values); B = 0
    const l = lora({ sites: ['attn.q', 'ffn.in'], rank: 2 }).init(TINY_GPT2, { seed: 0 });
    expect(inst.factors(1, 'ffn.in').a.dataSync()).toEqual(l.factors(1, 'ffn.in').a.dataSync());
    expect(Array.from(inst.factors(1, 'ffn.in').b.dataSync()).every((v) => v === 0)).toBe(true);
    l.dispose();
    inst.dispose();
  });
});

describe('DoRA forward', () => {
  it('with B = 0 equals the base model exactly, and sets m = ‖W‖ per output feature on the first pass', () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const x = tf.tensor(values(0, 1, [2, 3, 8]), [2, 3, 8]);
    const xff = tf.tensor(values(1, 1, [2, 3, 12]), [2, 3, 12]);
    const base = forwardAll(model, x, xff);
    const tuned = attach(model, dora({ sites: [...DENSE_SITES], rank: 2, alpha: 5 }));
    // before any pass the magnitudes are unset (zeros)
    expect(Array.from(tuned.instance.params.get(magnitudeParamName(1, 'ffn.out')).dataSync()).every((v) => v === 0)).toBe(true);
    const out = forwardAll(model, x, xff);
    out.forEach((o, i) => expect(Array.from(o), `site ${i}`).toEqual(Array.from(base[i]!)));
    const w = (model.kernel(1, 'ffn.out') as tf.Tensor2D).arraySync();
    const norms = w[0]!.map((_, j) => Math.sqrt(w.reduce((s, row) => s + row[j]! ** 2, 0)));
    expect(maxAbsDiff(tuned.instance.params.get(magnitudeParamName(1, 'ffn.out')).dataSync(), norms)).toBeLessThan(1e-6);
    tf.dispose([x, xff]);
    tuned.dispose();
    model.dispose();
  });

  it('matches hand-computed values on a 2 → 2 linear: g∘(x·(W + s·(BA)ᵀ)) + b', () => {
    const spec = { architecture: 'gpt2', numLayers: 1, hiddenSize: 2, numHeads: 1, headDim: 2, intermediateSize: 4 };
    const inst = dora({ sites: ['attn.o'], rank: 1, alpha: 2 }).init(spec); // s = α/r = 2
    (inst.factors(0, 'attn.o').a as tf.Variable).assign(tf.tensor2d([[1, 0]])); // A [r, in]
    (inst.factors(0, 'attn.o').b as tf.Variable).assign(tf.tensor2d([[1], [0]])); // B [out, r]
    inst.magnitude(0, 'attn.o').assign(tf.tensor1d([3, 5]));
    const W = tf.tensor2d([[1, 2], [3, 4]]); // [in, out]
    const b = tf.tensor1d([0.5, -1]);
    const x = tf.tensor2d([[1, 1]]);
    const y = tf.add(tf.matMul(x, W), b); // [4.5, 5]
    const out = inst.hooks(0).linear!['attn.o']!(x, y, EVAL_CONTEXT, { kernel: () => tf.clone(W), bias: () => tf.clone(b) });
    // W + s·(BA)ᵀ = [[3, 2], [3, 4]]: column norms √18, √20; g = [3/√18, 5/√20]; x·V = [6, 6]
    const want = [(6 * 3) / Math.sqrt(18) + 0.5, (6 * 5) / Math.sqrt(20) - 1];
    expect(maxAbsDiff(out.dataSync(), want)).toBeLessThan(1e-6);
    expect(want.map((v) => +v.toFixed(6))).toEqual([4.742641, 5.708204]);
    tf.dispose([W, b, x, y, out]);
    inst.dispose();
  });

  it('applies LoRA dropout as PEFT does: one mask for both terms, x̃·W recomputed (not y − b)', () => {
    const spec = { architecture: 'gpt2', numLayers: 1, hiddenSize: 4, numHeads: 1, headDim: 4, intermediateSize: 8 };
    const inst = dora({ sites: ['attn.v'], rank: 2, alpha: 4, dropout: 0.5 }).init(spec);
    randomise(inst.params);
    const W = tf.tensor2d(values(3, 0.5, [4, 4]), [4, 4]);
    const b = tf.tensor1d([0.1, 0.2, -0.3, 0.4]);
    const x = tf.tensor(values(4, 1, [1, 5, 4]), [1, 5, 4]);
    const y = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [5, 4]), W), b), [1, 5, 4]);
    const base = { kernel: () => tf.clone(W) as tf.Tensor2D, bias: () => tf.clone(b) as tf.Tensor1D };
    const out = inst.hooks(0).linear!['attn.v']!(x, y, trainingContext(7, 3), base);
    // the formula, with the mask drawn by an identical context
    const xd = trainingContext(7, 3).dropout(x, 0.5);
    expect(Array.from(xd.dataSync()).filter((v) => v === 0).length).toBeGreaterThan(0);
    const f = inst.factors(0, 'attn.v');
    const want = tf.tidy(() => {
      const v = tf.add(W, tf.mul(tf.matMul(f.a, f.b, true, true), f.scaling));
      const g = tf.div(inst.magnitude(0, 'attn.v'), tf.sqrt(tf.sum(tf.square(v), 0)));
      const x2 = tf.reshape(xd, [5, 4]);
      const xw = tf.matMul(x2, W);
      const lora = tf.mul(tf.matMul(tf.matMul(x2, f.a, false, true), f.b, false, true), f.scaling);
      return tf.add(tf.add(tf.reshape(y, [5, 4]), tf.mul(tf.sub(g, 1), xw)), tf.mul(g, lora));
    });
    expect(maxAbsDiff(out.dataSync(), want.dataSync())).toBeLessThan(1e-5);
    // in evaluation the same hook uses y − b, with no dropout
    const evalOut = inst.hooks(0).linear!['attn.v']!(x, y, EVAL_CONTEXT, base);
    expect(maxAbsDiff(evalOut.dataSync(), out.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([W, b, x, y, out, xd, want, evalOut]);
    inst.dispose();
  });

  it('refuses a hook call without the frozen weights, naming the site', () => {
    const inst = dora({ sites: ['attn.q'], rank: 2 }).init(TINY_GPT2);
    const x = tf.zeros([1, 2, 8]);
    let err: unknown;
    try {
      inst.hooks(1).linear!['attn.q']!(x, x, EVAL_CONTEXT);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('dora.layers.1.attn.q');
    x.dispose();
    inst.dispose();
  });

  it('keeps a magnitude that is already set (a resumed run) instead of resetting it to ‖W‖', () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const tuned = attach(model, dora({ sites: ['attn.k'], rank: 2 }));
    const m = tuned.instance.params.get(magnitudeParamName(0, 'attn.k'));
    m.assign(tf.fill([8], 0.75));
    const x = tf.tensor(values(0, 1, [1, 3, 8]), [1, 3, 8]);
    model.site(0, 'attn.k', x, EVAL_CONTEXT).dispose();
    expect(Array.from(m.dataSync())).toEqual(Array(8).fill(0.75));
    x.dispose();
    tuned.dispose();
    model.dispose();
  });
});

describe('DoRA gradients', () => {
  it('reach A, B and m, not W; the norm is held constant (detached), as the paper §4.3 and PEFT do', () => {
    const spec = { architecture: 'gpt2', numLayers: 1, hiddenSize: 4, numHeads: 1, headDim: 4, intermediateSize: 8 };
    const inst = dora({ sites: ['attn.o'], rank: 2, alpha: 3 }).init(spec);
    randomise(inst.params);
    const f = inst.factors(0, 'attn.o') as { a: tf.Variable; b: tf.Variable; scaling: number };
    const m = inst.magnitude(0, 'attn.o');
    const W = tf.variable(tf.tensor2d(values(5, 0.5, [4, 4]), [4, 4]));
    const b = tf.tensor1d([0.1, -0.2, 0.3, 0]);
    const x = tf.tensor(values(6, 1, [1, 3, 4]), [1, 3, 4]);
    const y = tf.tidy(() => tf.reshape(tf.add(tf.matMul(tf.reshape(x, [3, 4]), W), b), [1, 3, 4])); // a constant here
    const target = tf.tensor(values(7, 1, [1, 3, 4]), [1, 3, 4]);
    const vars = [f.a, f.b, m, W] as tf.Variable[];
    const hook = inst.hooks(0).linear!['attn.o']!;
    const ours = tf.variableGrads(() => tf.sum(tf.mul(hook(x, y, EVAL_CONTEXT, { kernel: () => W as unknown as tf.Tensor2D, bias: () => b }), target)) as tf.Scalar, vars);
    // every trainable tensor gets a non-zero gradient; W (read through the norm only, y being given) gets none
    for (const v of [f.a, f.b, m]) expect(Math.max(...Array.from(ours.grads[v.name]!.dataSync()).map(Math.abs)), v.name).toBeGreaterThan(1e-3);
    expect(ours.grads[W.name] === undefined || Array.from(ours.grads[W.name]!.dataSync()).every((g) => g === 0)).toBe(true);

    // the formula with ‖W + s·(BA)ᵀ‖ computed beforehand, as a constant
    const formula = (norm: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => () =>
      tf.tidy(() => {
        const x2 = tf.reshape(x, [3, 4]);
        const g = tf.div(m, norm(f.a, f.b));
        const xw = tf.sub(tf.reshape(y, [3, 4]), b);
        const lora = tf.mul(tf.matMul(tf.matMul(x2, f.a, false, true), f.b, false, true), f.scaling);
        return tf.sum(tf.mul(tf.add(tf.add(tf.reshape(y, [3, 4]), tf.mul(tf.sub(g, 1), xw)), tf.mul(g, lora)), tf.reshape(target, [3, 4]))) as tf.Scalar;
      });
    const liveNorm = (a: tf.Tensor, bb: tf.Tensor) => tf.sqrt(tf.sum(tf.square(tf.add(W, tf.mul(tf.matMul(a, bb, true, true), f.scaling))), 0));
    const constant = tf.keep(tf.tidy(() => liveNorm(f.a, f.b).clone()));
    const held = tf.variableGrads(formula(() => constant), [f.a, f.b, m] as tf.Variable[]);
    const live = tf.variableGrads(formula(liveNorm), [f.a, f.b, m] as tf.Variable[]);
    expect(Math.abs(ours.value.dataSync()[0]! - held.value.dataSync()[0]!)).toBeLessThan(1e-5);
    for (const v of [f.a, f.b, m]) {
      expect(maxAbsDiff(ours.grads[v.name]!.dataSync(), held.grads[v.name]!.dataSync()), v.name).toBeLessThan(1e-5);
    }
    // …and not the gradient through the norm (what a finite-difference check would measure): A and B differ
    for (const v of [f.a, f.b]) expect(maxAbsDiff(ours.grads[v.name]!.dataSync(), live.grads[v.name]!.dataSync()), v.name).toBeGreaterThan(1e-3);
    tf.dispose([W, b, x, y, target, constant, ours.value, held.value, live.value, ...Object.values(ours.grads), ...Object.values(held.grads), ...Object.values(live.grads)]);
    inst.dispose();
  });
});

describe('DoRA merge / unmerge', () => {
  it('merged weights W ← m∘(W + s·(BA)ᵀ)/‖W + s·(BA)ᵀ‖ give the hooks’ outputs; unmerge restores W exactly; nothing leaks', () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const x = tf.tensor(values(0, 1, [1, 4, 8]), [1, 4, 8]);
    const xff = tf.tensor(values(1, 1, [1, 4, 12]), [1, 4, 12]);
    const tuned = attach(model, dora({ sites: [...DENSE_SITES], rank: { 'attn.q': 2, 'attn.k': 1, 'attn.v': 3, 'attn.o': 2, 'ffn.in': 4, 'ffn.out': 2 }, alpha: 6 }));
    forwardAll(model, x, xff); // sets m = ‖W‖
    randomise(tuned.instance.params);
    const hooked = forwardAll(model, x, xff);
    const baseKernel = model.kernel(1, 'attn.v').dataSync().slice();
    const before = tf.memory().numTensors;
    tuned.merge();
    expect(tuned.instance.merged).toBe(true);
    expect(tf.memory().numTensors).toBe(before + DENSE_SITES.length * 2); // the kept originals, nothing else
    const merged = forwardAll(model, x, xff);
    hooked.forEach((h, i) => expect(maxAbsDiff(merged[i]!, h), `site ${i}`).toBeLessThan(1e-5));
    const plain = new LinearSitesModel(TINY_GPT2);
    expect(maxAbsDiff(merged[2]!, forwardAll(plain, x, xff)[2]!)).toBeGreaterThan(1e-2); // it does change attn.v
    plain.dispose();
    expect(() => tuned.merge()).toThrow(ConfigError);
    tuned.unmerge();
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(model.kernel(1, 'attn.v').dataSync())).toEqual(Array.from(baseKernel));
    const again = forwardAll(model, x, xff);
    hooked.forEach((h, i) => expect(Array.from(again[i]!)).toEqual(Array.from(h)));
    expect(() => tuned.unmerge()).toThrow(ConfigError);
    tf.dispose([x, xff]);
    tuned.dispose();
    model.dispose();
  });

  it('merges a fresh adapter (m still unset) as the identity, setting m from the weights', () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const w0 = model.kernel(0, 'ffn.in').dataSync().slice();
    const tuned = attach(model, dora({ sites: ['ffn.in'], rank: 2 }));
    tuned.merge();
    expect(maxAbsDiff(model.kernel(0, 'ffn.in').dataSync(), w0)).toBeLessThan(1e-6);
    tuned.unmerge();
    tuned.dispose();
    model.dispose();
  });
});
