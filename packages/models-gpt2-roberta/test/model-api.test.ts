import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelLinearSites, ParameterSet, trainingContext, type LinearSite, type MethodInstance, type TunableModel } from '@peft/core';
import {
  FrozenLinear,
  GPT2_SMALL_CONFIG,
  ROBERTA_BASE_CONFIG,
  gpt2ParameterCount,
  loadGpt2,
  loadRoberta,
  parseGpt2Config,
  parseRobertaConfig,
  robertaParameterCount,
  type Gpt2Model,
  type RobertaModel,
} from '../src/index.js';
import { TINY_GPT2, TINY_ROBERTA } from './helpers.js';
import { probeInstance } from './probe-method.js';
import { readReferenceTensors } from './reference.js';

/** The linear sites of GPT-2 and RoBERTa: every site but a gated FFN's gate. */
const DENSE_SITES = modelLinearSites({ architecture: 'gpt2', numLayers: 1, hiddenSize: 8, numHeads: 2, headDim: 4, intermediateSize: 12 });

describe('parameter counts (spec §5)', () => {
  it('GPT-2 small is 124,439,808 and RoBERTa-base without pooler 124,055,040', () => {
    expect(gpt2ParameterCount(parseGpt2Config({ ...GPT2_SMALL_CONFIG }))).toBe(124_439_808);
    expect(robertaParameterCount(parseRobertaConfig({ ...ROBERTA_BASE_CONFIG }))).toBe(124_055_040);
  });

  it('the tiny models count exactly the tensors of their files (RoBERTa: less the pooler)', async () => {
    const size = (dir: string, skip: RegExp) =>
      [...readReferenceTensors(dir)].filter(([n]) => !skip.test(n)).reduce((s, [, t]) => s + t.data.length, 0);
    const g = await loadGpt2(TINY_GPT2);
    const r = await loadRoberta(TINY_ROBERTA);
    expect(g.baseParameterCount()).toBe(size(TINY_GPT2, /^$/));
    expect(r.baseParameterCount()).toBe(size(TINY_ROBERTA, /pooler|position_ids/));
    g.dispose();
    r.dispose();
  });
});

/** A one-site method: y + x·Δ at `site` of layer 1. */
function deltaMethod(model: TunableModel, site: LinearSite, delta: tf.Tensor2D): MethodInstance {
  const params = new ParameterSet();
  return {
    method: { type: 'delta', config: {}, claims: [], init: () => undefined as never, describe: () => 'delta' },
    spec: model.spec,
    params,
    hooks: (l) => (l === 1 ? { linear: { [site]: (x: tf.Tensor, y: tf.Tensor) => tf.add(y, tf.reshape(tf.matMul(tf.reshape(x, [-1, delta.shape[0]]), delta), y.shape)) } } : {}),
    dispose: () => undefined,
  };
}

describe.each([
  ['GPT-2', () => loadGpt2(TINY_GPT2)],
  ['RoBERTa', () => loadRoberta(TINY_ROBERTA)],
] as const)('%s linear sites', (_, load) => {
  let model: Gpt2Model | RobertaModel;
  const ids = () => tf.tensor2d([[3, 14, 15, 92, 65]], undefined, 'int32');
  beforeAll(async () => {
    model = await load();
  });
  afterAll(() => model.dispose());

  const hidden = () => tf.tidy(() => Array.from(model.forward({ inputIds: ids() }).hidden.dataSync()));

  for (const site of DENSE_SITES) {
    it(`${site}: set(W + Δ) equals a hook adding x·Δ, and set(get()) restores the model`, () => {
      const before = hidden();
      const w = model.getLinearKernel(1, site);
      const delta = tf.tidy(() => tf.mul(tf.sin(tf.reshape(tf.range(0, w.size), w.shape)), 0.05)) as tf.Tensor2D;
      model.useMethod(deltaMethod(model, site, delta));
      const hooked = hidden();
      model.useMethod(null);
      const merged = tf.add(w, delta) as tf.Tensor2D;
      model.setLinearKernel(1, site, merged);
      const afterMerge = hidden();
      model.setLinearKernel(1, site, w);
      const restored = hidden();
      expect(Math.max(...hooked.map((v, i) => Math.abs(v - afterMerge[i]!)))).toBeLessThan(2e-5);
      expect(Math.max(...hooked.map((v, i) => Math.abs(v - before[i]!)))).toBeGreaterThan(1e-3);
      expect(restored).toEqual(before);
      tf.dispose([w, delta, merged]);
    });
  }

  it('biases: get/set round trip per site; a wrong shape is a ShapeError', () => {
    const before = hidden();
    for (const site of DENSE_SITES) {
      const b = model.getLinearBias(0, site)!;
      const shifted = tf.add(b, 0.5) as tf.Tensor1D;
      model.setLinearBias(0, site, shifted);
      const got = model.getLinearBias(0, site)!;
      expect(Array.from(got.dataSync())).toEqual(Array.from(shifted.dataSync()));
      model.setLinearBias(0, site, b);
      tf.dispose([b, shifted, got]);
    }
    expect(hidden()).toEqual(before);
    const wrong = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => model.setLinearKernel(0, 'attn.q', wrong)).toThrow(/shape/);
    wrong.dispose();
  });
});

describe('GPT-2 fused c_attn', () => {
  it('q, k, v are the column blocks of c_attn.weight', async () => {
    const m = await loadGpt2(TINY_GPT2);
    const ref = readReferenceTensors(TINY_GPT2).get('h.0.attn.c_attn.weight')!;
    for (const [i, site] of (['attn.q', 'attn.k', 'attn.v'] as const).entries()) {
      const w = m.getLinearKernel(0, site);
      const want = Array.from({ length: 32 * 32 }, (_, j) => ref.data[Math.floor(j / 32) * 96 + i * 32 + (j % 32)]!);
      expect(Array.from(w.dataSync())).toEqual(want);
      w.dispose();
    }
    m.dispose();
  });
});

describe('hook call order (the model ↔ method contract)', () => {
  const expected = ['attn.q', 'attn.k', 'attn.v', 'attn.supports', 'attn.o', 'afterOutput', 'attn.output', 'ffn.in', 'ffn.out', 'ffn.parallel', 'ffn.output'];
  it.each([
    ['GPT-2', () => loadGpt2(TINY_GPT2)],
    ['RoBERTa', () => loadRoberta(TINY_ROBERTA)],
  ] as const)('%s calls every site once per layer, in the contract order', async (_, load) => {
    const m = await load();
    const calls: string[] = [];
    const inst = probeInstance(m.spec, { linear: true, perQuery: true, afterOutput: true, outputs: true, trace: (l, s) => calls.push(`${l}:${s}`) });
    m.useMethod(inst);
    tf.tidy(() => m.forward({ inputIds: tf.tensor2d([[5, 6, 7]], undefined, 'int32') }).hidden);
    expect(calls).toEqual([0, 1].flatMap((l) => expected.map((s) => `${l}:${s}`)));
    inst.dispose();
    m.dispose();
  });
});

describe('training mode', () => {
  it('dropout is seeded per (seed, step): same masks for the same step, different for another, none in eval', async () => {
    const m = await loadGpt2(TINY_GPT2);
    const run = (ctx?: ReturnType<typeof trainingContext>) =>
      tf.tidy(() => Array.from(m.forward({ inputIds: tf.tensor2d([[5, 6, 7, 8]], undefined, 'int32'), ...(ctx ? { ctx } : {}) }).hidden.dataSync()));
    const a = run(trainingContext(7, 3));
    const b = run(trainingContext(7, 3));
    const c = run(trainingContext(7, 4));
    const e = run();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(e);
    m.dispose();
  });
});

describe('added special tokens (spec §7.1)', () => {
  let m: Gpt2Model;
  beforeAll(async () => {
    m = await loadGpt2(TINY_GPT2);
  });
  afterAll(() => m.dispose());

  it('frozen rows: the vocabulary grows, new rows ~ N(0, 0.02), the head has their columns, base count unchanged', () => {
    const base = m.baseParameterCount();
    const ids = m.addSpecialTokens(16, { seed: 9 });
    expect(ids[0]).toBe(657);
    expect(m.vocabSize).toBe(673);
    expect(m.spec.vocabSize).toBe(673);
    expect(m.baseParameterCount()).toBe(base);
    expect(m.extraTrainables().size).toBe(0);
    const table = m.embedding.frozenTable();
    const rows = Array.from(tf.tidy(() => tf.slice(table, [657, 0], [16, -1])).dataSync());
    const std = Math.sqrt(rows.reduce((s, x) => s + x * x, 0) / rows.length);
    expect(std).toBeGreaterThan(0.017);
    expect(std).toBeLessThan(0.023);
    // the logit of a new token is ⟨h, its row⟩
    const [logit, want] = tf.tidy(() => {
      const out = m.forward({ inputIds: tf.tensor2d([[660, 3]], undefined, 'int32') });
      const z = m.logits(out.hidden);
      const h = tf.reshape(tf.slice(out.hidden, [0, 1, 0], [1, 1, -1]), [32]);
      return [tf.slice(z, [0, 1, 670], [1, 1, 1]).dataSync()[0]!, tf.sum(tf.mul(h, tf.reshape(tf.slice(table, [670, 0], [1, -1]), [32]))).dataSync()[0]!];
    }) as unknown as [number, number];
    expect(logit).toBeCloseTo(want, 5);
  });

  it('trainable rows: only they get a gradient, through the one-hot path (no gather gradient)', async () => {
    const t = await loadGpt2(TINY_GPT2);
    const frozenFirst = t.addSpecialTokens(2, { seed: 1 });
    const trainable = t.addSpecialTokens(3, { seed: 1, trainable: true });
    expect(frozenFirst).toEqual([657, 658]);
    expect(trainable).toEqual([659, 660, 661]);
    expect(() => t.addSpecialTokens(1)).toThrow(/already/);
    const set = t.extraTrainables();
    expect(set.names()).toEqual(['wte.added_rows']);
    const v = set.get('wte.added_rows');
    // embedding of a trainable id is its variable row
    const emb = tf.tidy(() => Array.from(t.embedding.lookup(tf.tensor2d([[660]], undefined, 'int32')).dataSync()));
    expect(emb).toEqual(Array.from(tf.tidy(() => tf.slice(v, [1, 0], [1, -1]).dataSync())));
    const { grads, value } = tf.variableGrads(() =>
      tf.sum(t.logits(t.forward({ inputIds: tf.tensor2d([[659, 5, 661]], undefined, 'int32'), tokenTypeIds: tf.tensor2d([[660, 660, 660]], undefined, 'int32') }).hidden)) as tf.Scalar,
    );
    expect(Object.keys(grads)).toEqual([v.name]);
    expect(tf.max(tf.abs(grads[v.name]!)).dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([value, ...Object.values(grads)]);
    t.dispose();
  });
});

describe('FrozenLinear', () => {
  it('its custom gradient dx = dy·Wᵀ (from the kept transposed copy) equals autograd of x·W + b', () => {
    const w = tf.tensor2d(Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]);
    const b = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
    const lin = new FrozenLinear(tf.clone(w), tf.clone(b), 'test');
    const x = tf.tensor3d(Array.from({ length: 18 }, (_, i) => Math.cos(i)), [2, 3, 3]);
    const dy = tf.tensor3d(Array.from({ length: 24 }, (_, i) => Math.sin(2 * i)), [2, 3, 4]);
    const f1 = (xx: tf.Tensor) => tf.sum(tf.mul(lin.apply(xx), dy));
    const f2 = (xx: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.reshape(tf.matMul(tf.reshape(xx, [6, 3]), w), [2, 3, 4]), b), dy));
    const g1 = tf.grad(f1)(x);
    const g2 = tf.grad(f2)(x);
    expect(tf.max(tf.abs(tf.sub(g1, g2))).dataSync()[0]).toBeLessThan(1e-6);
    const y1 = lin.apply(x);
    expect(y1.shape).toEqual([2, 3, 4]);
    tf.dispose([w, b, x, dy, g1, g2, y1]);
    lin.dispose();
  });
});
