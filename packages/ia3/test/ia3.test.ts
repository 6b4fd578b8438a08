import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  EVAL_CONTEXT,
  attach,
  describeMethod,
  methodFromDescriptor,
  type LinearSite,
  type LinearWeights,
  type ModelSpec,
} from '@peft/core';
import { lmLoss } from '@peft/models-gpt2-roberta';
import { IA3_DEFAULTS, ia3, ia3ParameterCount, resolveIa3Config } from '../src/index.js';
import { logitsOf, randomise, relDiff, tinyGpt2 } from './helpers.js';

/** One layer, d = 4, two query heads of p = 2 sharing one key/value head (grouped-query attention: k, v are 2 wide). */
const TOY: ModelSpec = { architecture: 'toy', numLayers: 1, hiddenSize: 4, numHeads: 2, headDim: 2, intermediateSize: 6, numKeyValueHeads: 1 };
const GPT2_SMALL: ModelSpec = { architecture: 'gpt2', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072 };

describe('IA³ config', () => {
  it("defaults to the paper's and PEFT's targets: keys, values and the FFN activation", () => {
    expect(resolveIa3Config({})).toEqual({ targets: ['attn.k', 'attn.v', 'ffn.act'] });
    expect(IA3_DEFAULTS.targets).toEqual(['attn.k', 'attn.v', 'ffn.act']);
    // canonical order, any linear site allowed
    expect(resolveIa3Config({ targets: ['ffn.act', 'attn.o', 'attn.q'] }).targets).toEqual(['attn.q', 'attn.o', 'ffn.act']);
  });

  it('refuses an unknown field, naming it (through core refuseUnknownFields)', () => {
    expect(() => ia3({ targetz: ['attn.k'] } as never)).toThrow(ConfigError);
    expect(() => ia3({ targetz: ['attn.k'] } as never)).toThrow(/ia3\.targetz: unknown field \(known: targets, hf\)/);
    expect(() => ia3({ hf: { taskTyp: 'CAUSAL_LM' } } as never)).toThrow(/ia3\.hf\.taskTyp: unknown field/);
  });

  it('refuses bad targets', () => {
    expect(() => ia3({ targets: [] })).toThrow(/ia3\.targets: must be a non-empty list/);
    expect(() => ia3({ targets: ['attn.x' as never] })).toThrow(/'attn\.x' is neither a linear site nor 'ffn\.act'/);
    expect(() => ia3({ targets: ['attn.k', 'attn.k'] })).toThrow(/listed twice/);
    expect(() => ia3({ targets: ['ffn.gate'] }).init(TOY)).toThrow(/a toy model has no 'ffn.gate' site/);
  });

  it('is a registered method type: the descriptor rebuilds it', () => {
    const m = ia3({ targets: ['attn.v', 'ffn.act'] });
    const again = methodFromDescriptor(JSON.parse(JSON.stringify(describeMethod(m))));
    expect(again.type).toBe('ia3');
    expect(again.config).toEqual(m.config);
    expect(m.claims).toEqual([
      { site: 'attn.v', exclusive: false },
      { site: 'ffn.act', exclusive: false },
    ]);
  });
});

describe('IA³ parameters', () => {
  it('GPT-2 small, defaults: 12·(768 + 768 + 3072) = 55,296', () => {
    expect(ia3().parameterCount(GPT2_SMALL)).toBe(55_296);
    const inst = ia3().init(GPT2_SMALL);
    expect(inst.params.count()).toBe(55_296);
    inst.dispose();
    // PEFT's own GPT-2 default (c_attn whole + mlp.c_proj as feedforward) scales q too: print_trainable_parameters()
    // of peft 0.21 on a random gpt2-small said 64,512 = 55,296 + 12·768
    expect(ia3ParameterCount(resolveIa3Config({ targets: ['attn.q', 'attn.k', 'attn.v', 'ffn.act'] }), GPT2_SMALL)).toBe(64_512);
  });

  it('sizes come from the site shapes: with grouped-query attention k and v are kvHeads·p wide; all start at 1', () => {
    const inst = ia3({ targets: ['attn.q', 'attn.k', 'attn.v', 'ffn.in', 'ffn.act'] }).init(TOY);
    expect(inst.params.rows().map((r) => [r.name, r.shape])).toEqual([
      ['layers.0.attn.q.ia3_l', [4]],
      ['layers.0.attn.k.ia3_l', [2]],
      ['layers.0.attn.v.ia3_l', [2]],
      ['layers.0.ffn.in.ia3_l', [6]],
      ['layers.0.ffn.act.ia3_l', [6]],
    ]);
    for (const [, v] of inst.params.entries()) expect(Array.from(v.dataSync()).every((x) => x === 1)).toBe(true);
    inst.dispose();
  });
});

describe('IA³ hooks (hand-computed)', () => {
  it('attn.k / attn.v return y ∘ l; ffnActivation returns g ∘ l_ff', () => {
    const inst = ia3().init(TOY);
    inst.vector(0, 'attn.k').assign(tf.tensor1d([2, -3]));
    inst.vector(0, 'attn.v').assign(tf.tensor1d([0.5, 4]));
    inst.vector(0, 'ffn.act').assign(tf.tensor1d([1, 2, 3, 4, 5, 6]));
    const h = inst.hooks(0);
    const x = tf.zeros([1, 2, 4]);
    const y = tf.tensor3d([[[1, 1], [-1, 0.5]]]);
    expect(h.linear!['attn.k']!(x, y, EVAL_CONTEXT).arraySync()).toEqual([[[2, -3], [-2, -1.5]]]);
    expect(h.linear!['attn.v']!(x, y, EVAL_CONTEXT).arraySync()).toEqual([[[0.5, 4], [-0.5, 2]]]);
    expect(h.linear!['attn.q']).toBeUndefined();
    const g = tf.tensor3d([[[1, 1, 1, 1, 1, 1], [0, -1, 0.5, 2, 0, 1]]]);
    expect(h.ffnActivation!(g, EVAL_CONTEXT).arraySync()).toEqual([[[1, 2, 3, 4, 5, 6], [0, -2, 1.5, 8, 0, 6]]]);
    tf.dispose([x, y, g]);
    inst.dispose();
  });

  it('a fresh adapter is an exact no-op on the tiny GPT-2', async () => {
    const model = await tinyGpt2();
    const base = logitsOf(model);
    const tuned = attach(model, ia3({ targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out', 'ffn.act'] }));
    expect(Array.from(logitsOf(model))).toEqual(Array.from(base));
    tuned.dispose();
    model.dispose();
  });
});

/** A stand-in for a model's frozen linears: W [in, out] and b per site, copied in and out as core's contract says. */
class Weights implements LinearWeights {
  readonly w = new Map<string, tf.Tensor2D>();
  readonly b = new Map<string, tf.Tensor1D>();
  constructor(readonly spec: ModelSpec) {}
  getLinearKernel(layer: number, site: LinearSite): tf.Tensor2D {
    return tf.clone(this.w.get(`${layer}/${site}`)!);
  }
  setLinearKernel(layer: number, site: LinearSite, kernel: tf.Tensor2D): void {
    this.w.get(`${layer}/${site}`)?.dispose();
    this.w.set(`${layer}/${site}`, tf.clone(kernel));
  }
  getLinearBias(layer: number, site: LinearSite): tf.Tensor1D | undefined {
    const b = this.b.get(`${layer}/${site}`);
    return b && tf.clone(b);
  }
  setLinearBias(layer: number, site: LinearSite, bias: tf.Tensor1D): void {
    this.b.get(`${layer}/${site}`)?.dispose();
    this.b.set(`${layer}/${site}`, tf.clone(bias));
  }
}

describe('IA³ merge / unmerge', () => {
  it('scales W’s output columns and b for attn.v, W_out’s rows (not its bias) for ffn.act — hand-computed', () => {
    const model = new Weights(TOY);
    model.setLinearKernel(0, 'attn.v', tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]])); // [4, 2]
    model.setLinearBias(0, 'attn.v', tf.tensor1d([1, -1]));
    model.setLinearKernel(0, 'ffn.out', tf.tensor2d([[1, 1, 1, 1], [2, 2, 2, 2], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])); // [6, 4]
    model.setLinearBias(0, 'ffn.out', tf.tensor1d([9, 9, 9, 9]));
    const inst = ia3({ targets: ['attn.v', 'ffn.act'] }).init(TOY);
    inst.vector(0, 'attn.v').assign(tf.tensor1d([2, 0.5]));
    inst.vector(0, 'ffn.act').assign(tf.tensor1d([1, 2, 3, 4, 5, 6]));
    const before = tf.memory().numTensors;
    inst.merge(model);
    expect(tf.memory().numTensors).toBe(before); // merge leaks nothing
    expect(model.w.get('0/attn.v')!.arraySync()).toEqual([[2, 1], [6, 2], [10, 3], [14, 4]]);
    expect(model.b.get('0/attn.v')!.arraySync()).toEqual([2, -0.5]);
    expect(model.w.get('0/ffn.out')!.arraySync()).toEqual([[1, 1, 1, 1], [4, 4, 4, 4], [3, 0, 0, 0], [0, 4, 0, 0], [0, 0, 5, 0], [0, 0, 0, 6]]);
    expect(model.b.get('0/ffn.out')!.arraySync()).toEqual([9, 9, 9, 9]);
    // merged: the hooks no longer scale (the weights do)
    const y = tf.ones([1, 1, 2]);
    expect(inst.hooks(0).linear!['attn.v']!(y, y, EVAL_CONTEXT)).toBe(y);
    expect(() => inst.merge(model)).toThrow(/already merged/);
    inst.unmerge(model);
    expect(model.w.get('0/attn.v')!.arraySync()).toEqual([[1, 2], [3, 4], [5, 6], [7, 8]]);
    expect(model.b.get('0/attn.v')!.arraySync()).toEqual([1, -1]);
    expect(model.w.get('0/ffn.out')!.arraySync()[1]).toEqual([2, 2, 2, 2]);
    expect(() => inst.unmerge(model)).toThrow(/not merged/);
    // a zero entry: unmerge refuses before touching a weight
    inst.vector(0, 'attn.v').assign(tf.tensor1d([0, 1]));
    inst.merge(model);
    expect(() => inst.unmerge(model)).toThrow(/layers\.0\.attn\.v\.ia3_l\[0\] is 0/);
    tf.dispose([y, ...model.w.values(), ...model.b.values()]);
    inst.dispose();
  });

  it('merged weights give the hooks’ logits on the tiny GPT-2 (every linear site and ffn.act), unmerge restores them', async () => {
    const model = await tinyGpt2();
    const base = logitsOf(model);
    const kernel0 = model.getLinearKernel(1, 'attn.k').dataSync().slice();
    const bias0 = model.getLinearBias(1, 'attn.k')!.dataSync().slice();
    const tuned = attach(model, ia3({ targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.act'] }));
    randomise(tuned.trainableVariables());
    const hooked = logitsOf(model);
    expect(relDiff(hooked, base), 'the vectors change the logits').toBeGreaterThan(1e-2);
    tuned.merge();
    const merged = logitsOf(model);
    expect(relDiff(merged, hooked)).toBeLessThan(1e-5);
    model.useMethod(null); // the merged weights alone
    expect(relDiff(logitsOf(model), hooked)).toBeLessThan(1e-5);
    model.useMethod(tuned.instance);
    tuned.unmerge();
    expect(relDiff(model.getLinearKernel(1, 'attn.k').dataSync(), kernel0)).toBeLessThan(1e-6);
    expect(relDiff(model.getLinearBias(1, 'attn.k')!.dataSync(), bias0)).toBeLessThan(1e-6);
    expect(relDiff(logitsOf(model), hooked)).toBeLessThan(1e-5);
    tuned.dispose();
    model.dispose();
  });
});

describe('IA³ gradients', () => {
  it('reach every vector of every layer (LM loss through the tiny GPT-2)', async () => {
    const model = await tinyGpt2();
    const tuned = attach(model, ia3({ targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out', 'ffn.act'] }));
    randomise(tuned.trainableVariables());
    const ids = tf.tensor2d([[5, 17, 300, 42, 9, 640], [12, 250, 3, 99, 7, 8]], undefined, 'int32');
    const vars = tuned.trainableVariables();
    const { value, grads } = tf.variableGrads(() => lmLoss(model, model.forward({ inputIds: ids }).hidden, ids), vars);
    expect(vars).toHaveLength(14);
    for (const [name, v] of tuned.instance.params.entries()) {
      const g = grads[v.name]!;
      expect(g.shape, name).toEqual(v.shape);
      const d = g.dataSync();
      // every entry is touched: each scales a column that reaches the loss
      expect(d.filter((x) => x !== 0).length, `${name} entries with a gradient`).toBe(d.length);
    }
    // one entry against a central difference of the loss
    const v = tuned.instance.params.get('layers.0.ffn.act.ia3_l');
    const g = grads[v.name]!.dataSync()[3]!;
    const base = Float32Array.from(v.dataSync());
    const at = (delta: number): number => {
      const w = Float32Array.from(base);
      w[3]! += delta;
      v.assign(tf.tensor1d(w));
      return tf.tidy(() => lmLoss(model, model.forward({ inputIds: ids }).hidden, ids).dataSync()[0]!);
    };
    const fd = (at(1e-2) - at(-1e-2)) / 2e-2;
    v.assign(tf.tensor1d(base));
    expect(Math.abs(fd - g)).toBeLessThanOrEqual(1e-3 + 1e-2 * Math.abs(fd));
    tf.dispose([value, ids, ...Object.values(grads)]);
    tuned.dispose();
    model.dispose();
  });
});
