import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  EVAL_CONTEXT,
  MissingTensorError,
  SiteConflictError,
  TensorShapeMismatchError,
  attach,
  describeMethod,
  loadAdapter,
  methodFromDescriptor,
  storedParameterCount,
  trainingContext,
  type LinearSite,
  type MethodInstance,
  type ModelSpec,
  type TunableModel,
} from '@peft/core';
import { gpt2Spec, robertaSpec } from '@peft/models-gpt2-roberta';
import { describe, expect, it } from 'vitest';
import { adapter } from '@peft/adapter';
import { inducer } from '@peft/inducer';
import { lora } from '@peft/lora';
import { prefix } from '@peft/prefix';
import { mix, partNamespace } from '@peft/mam';
import { GOLDEN_SPEC, goldenAttentionWeights, goldenInput, gpt2Attention, sinTensor } from './gpt2-block.js';

// GPT-2's own facts (HF names, prefix position shift): the methods read them from the spec
const TINY: ModelSpec = gpt2Spec({ nLayer: 2, nEmbd: 8, nHead: 2, nInner: 32, vocabSize: 50257 });

function pseudoRandom(count: number, salt: number, amplitude = 1): number[] {
  return Array.from({ length: count }, (_, i) => {
    const s = Math.sin(12.9898 * (i + 1) + 78.233 * salt) * 43758.5453;
    return Math.fround(amplitude * 2 * (s - Math.floor(s) - 0.5));
  });
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Sets every variable of `inst` to pseudo-random values (so zero-initialised factors take part). */
function randomiseAll(inst: MethodInstance, salt: number, amplitude = 0.3): void {
  inst.params.entries().forEach(([, v], i) => v.assign(tf.tensor(pseudoRandom(v.size, salt + i, amplitude), v.shape)));
}

describe('mix: claims', () => {
  it('rejects two sequential adapters on the same site, naming the site and both parts', () => {
    const a = adapter({ placement: 'attn-output', bottleneck: 4 });
    const b = adapter({ placement: ['ffn-parallel', 'attn-output'], bottleneck: 8, layerNormBefore: true });
    let err: unknown;
    try {
      mix(a, b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SiteConflictError);
    const e = err as SiteConflictError;
    expect(e.site).toBe('attn.output');
    expect(e.parts[0]).toContain(a.describe());
    expect(e.parts[1]).toContain(b.describe());
    expect(e.message).toContain('b=4');
    expect(e.message).toContain('b=8');
  });

  it('rejects two inducers (one per-query support per query), accepts shared sites', () => {
    expect(() => mix(inducer({ keyRank: 2, valueRank: 2 }), prefix({ length: 2 }), inducer({ keyRank: 3, valueRank: 3 }))).toThrow(
      /attn\.supports\[per-query\].*r_k=2.*r_k=3/,
    );
    // prefixes share the shared slot, LoRAs share linear sites, parallel adapters share ffn.parallel
    const ok = mix(
      prefix({ length: 2 }),
      prefix({ length: 3 }),
      lora({ sites: ['attn.q'], rank: 2 }),
      lora({ sites: ['attn.q', 'attn.v'], rank: 3 }),
      adapter({ placement: 'ffn-parallel', bottleneck: 2 }),
      adapter({ placement: 'ffn-parallel', bottleneck: 3 }),
      inducer({ keyRank: 2, valueRank: 2 }),
    );
    expect(ok.parts).toHaveLength(7);
    expect(() => mix()).toThrow(ConfigError);
  });
});

describe('mix: parameters', () => {
  it('namespaces each part by type and index, with the same seed as the part alone', () => {
    const parts = [inducer({ keyRank: 2, valueRank: 3 }), lora({ sites: ['attn.q'], rank: 2, flavour: 'ka' }), adapter({ placement: 'ffn-parallel', bottleneck: 3 })];
    const m = mix(...parts);
    const inst = m.init(TINY, { seed: 5 });
    const alone = parts.map((p) => p.init(TINY, { seed: 5 }));
    expect(inst.params.count()).toBe(alone.reduce((a, i) => a + i.params.count(), 0));
    expect(partNamespace(parts[1]!, 1)).toBe('lora1.');
    alone.forEach((a, k) => {
      for (const [name, v] of a.params.entries()) {
        const mine = inst.params.get(partNamespace(parts[k]!, k) + name);
        expect(Array.from(mine.dataSync()), name).toEqual(Array.from(v.dataSync()));
      }
    });
    expect(inst.params.names()).toContain('inducer0.layers.1.inducer.key.A');
    expect(inst.params.names()).toContain('adapter2.layers.0.ffn_parallel.down.weight');
    alone.forEach((a) => a.dispose());
    inst.dispose();
  });

  it('sums position offsets and counts prefixes at inference without their MLPs', () => {
    const inst = mix(prefix({ length: 3, midDim: 4 }), prefix({ length: 5, reparameterize: false }), adapter({ placement: 'ffn-output', bottleneck: 2 })).init(TINY);
    expect(inst.positionOffset).toBe(8);
    const perPrefixToken = TINY.numLayers * 2 * TINY.hiddenSize; // 32
    const adapterCount = TINY.numLayers * (2 * 8 * 2 + 2 + 8);
    expect(inst.inferenceParameterCount()).toBe(perPrefixToken * 8 + adapterCount);
    expect(storedParameterCount(inst)).toBe(perPrefixToken * 8 + adapterCount);
    const stored = inst.stored!.build();
    expect(stored.params.count()).toBe(inst.stored!.parameterCount);
    expect(stored.method.describe()).toBe('prefix(L=3, plain) + prefix(L=5, plain) + ' + adapter({ placement: 'ffn-output', bottleneck: 2 }).describe());
    expect(stored.positionOffset).toBe(8);
    stored.dispose();
    expect(inst.params.variables().every((v) => !v.isDisposed)).toBe(true);
    // a mix with nothing reparameterised is stored as trained
    const plainMix = mix(adapter({ placement: 'ffn-output', bottleneck: 2 })).init(TINY);
    expect(plainMix.stored).toBeUndefined();
    expect(storedParameterCount(plainMix)).toBe(plainMix.params.count());
    plainMix.dispose();
    expect(inst.params.count()).toBe(3 * 8 + 8 * 4 + 4 + TINY.numLayers * (4 * 16 + 16) + perPrefixToken * 5 + adapterCount);
    inst.dispose();
    const roberta = mix(prefix({ length: 3 })).init(robertaSpec({ numLayers: 2, hiddenSize: 8, numHeads: 2, intermediateSize: 32, vocabSize: 50265 }));
    expect(roberta.positionOffset ?? 0).toBe(0);
    roberta.dispose();
  });
});

describe('mix: hook composition', () => {
  it('linear hooks chain: y + Δ₁ + Δ₂; parallel terms sum; both equal the parts applied one by one', () => {
    const a = lora({ sites: ['attn.q', 'attn.v'], rank: 2, alpha: 4, flavour: 'ka' });
    const b = lora({ sites: ['attn.q'], rank: 3, alpha: 6 });
    const p1 = adapter({ placement: 'ffn-parallel', bottleneck: 2 });
    const p2 = adapter({ placement: 'ffn-parallel', bottleneck: 3, activation: 'tanh', scale: 2 });
    const inst = mix(a, b, p1, p2).init(TINY, { seed: 1 });
    randomiseAll(inst, 3);
    const [ia, ib, i1, i2] = inst.parts as [MethodInstance, MethodInstance, MethodInstance, MethodInstance];
    const x = tf.tensor3d(pseudoRandom(2 * 3 * 8, 1), [2, 3, 8]);
    const y = tf.tensor3d(pseudoRandom(2 * 3 * 8, 2), [2, 3, 8]);
    const before = tf.memory().numTensors;
    const h = inst.hooks(1);
    const q = h.linear!['attn.q']!(x, y, EVAL_CONTEXT);
    const v = h.linear!['attn.v']!(x, y, EVAL_CONTEXT);
    const par = h.ffnParallel!(x, EVAL_CONTEXT);
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(h.linear!['attn.k']).toBeUndefined();
    const qWant = ib.hooks(1).linear!['attn.q']!(x, ia.hooks(1).linear!['attn.q']!(x, y, EVAL_CONTEXT), EVAL_CONTEXT);
    const vWant = ia.hooks(1).linear!['attn.v']!(x, y, EVAL_CONTEXT);
    const parWant = tf.add(i1.hooks(1).ffnParallel!(x, EVAL_CONTEXT), i2.hooks(1).ffnParallel!(x, EVAL_CONTEXT));
    expect(maxAbsDiff(q.dataSync(), qWant.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(v.dataSync(), vWant.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(par.dataSync(), parWant.dataSync())).toBeLessThan(1e-6);
    // both LoRAs did act on q
    expect(maxAbsDiff(q.dataSync(), vWant.dataSync())).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(q.dataSync(), y.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([x, y, q, v, par, qWant, vWant, parWant]);
    inst.dispose();
  });

  it('shared supports of several prefixes are concatenated; with an inducer, all reach one normalisation', () => {
    const inst = mix(prefix({ length: 2, midDim: 3 }), inducer({ keyRank: 2, valueRank: 2 }), prefix({ length: 3, reparameterize: false })).init(TINY, { seed: 2 });
    const [p0, , p2] = inst.parts as [MethodInstance & { layerPrefix: (l: number) => { keys: tf.Tensor; values: tf.Tensor } }, MethodInstance, typeof inst.parts[0] & { layerPrefix: (l: number) => { keys: tf.Tensor; values: tf.Tensor } }];
    const q = tf.tensor4d(pseudoRandom(1 * 2 * 3 * 4, 7), [1, 2, 3, 4]);
    const before = tf.memory().numTensors;
    const sup = inst.hooks(0).supports!({ q, k: q, v: q, queryOffset: 0, ctx: EVAL_CONTEXT });
    expect(sup.shared!.keys.shape).toEqual([2, 5, 4]);
    expect(sup.perQuery?.keys.shape).toEqual([1, 2, 3, 4]);
    expect(typeof sup.afterOutput).toBe('function');
    const a = p0.layerPrefix(0);
    const b = p2.layerPrefix(0);
    const want = tf.concat([a.values, b.values], 1);
    expect(maxAbsDiff(sup.shared!.values.dataSync(), want.dataSync())).toBe(0);
    tf.dispose([a.keys, a.values, b.keys, b.values, want]);
    tf.dispose([sup.shared!.keys, sup.shared!.values, sup.perQuery!.keys]);
    expect(tf.memory().numTensors).toBe(before);
    q.dispose();
    inst.dispose();
  });
});

describe('mix(inducer, LoRA-Q) reproduces golden vector A (spec §10.1)', () => {
  const LAMBDA_A = [
    [0.500217, 0.347359, 0.264443, 0.194962],
    [0.487441, 0.330448, 0.246378, 0.183864],
  ];
  const OUTPUT_A = [
    [-0.581701, -0.652235, -0.416013, 0.015867, 0.440284, 0.657629, 0.56568, 0.207684],
    [-0.715218, -0.778771, -0.476055, 0.050557, 0.553391, 0.795957, 0.664172, 0.220016],
    [-0.757195, -0.835508, -0.520868, 0.038744, 0.580134, 0.848678, 0.718076, 0.249751],
    [-0.709911, -0.80508, -0.521608, 0.007185, 0.532598, 0.807523, 0.702657, 0.26732],
  ];
  const OUTPUT_E = [
    [-0.552063, -0.661848, -0.460355, -0.04235, 0.395573, 0.647452, 0.594824, 0.262441],
    [-0.676591, -0.768189, -0.498496, 0.005648, 0.507136, 0.770109, 0.670888, 0.256138],
    [-0.72833, -0.820966, -0.52749, 0.014073, 0.549018, 0.825750, 0.71412, 0.266628],
    [-0.699327, -0.796927, -0.519719, 0.00192, 0.522656, 0.797579, 0.697388, 0.269205],
  ];
  /** spec §10.1's table: parameter name (in the mix) → (t, s). */
  const inducerTable = (ns: string): [string, number, number][] => [
    [`${ns}layers.0.inducer.key.A`, 8, 0.5],
    [`${ns}layers.0.inducer.key.b1`, 9, 0.2],
    [`${ns}layers.0.inducer.key.B`, 10, 0.5],
    [`${ns}layers.0.inducer.key.b2`, 11, 0.2],
    [`${ns}layers.0.inducer.value.A`, 12, 0.5],
    [`${ns}layers.0.inducer.value.b1`, 13, 0.2],
    [`${ns}layers.0.inducer.value.B`, 14, 0.5],
    [`${ns}layers.0.inducer.value.b2`, 15, 0.2],
  ];
  const loraTable = (ns: string): [string, number, number][] => [
    [`${ns}layers.0.attn.q.lora_A`, 5, 0.05],
    [`${ns}layers.0.attn.q.lora_B`, 6, 0.05],
    [`${ns}layers.0.attn.q.lora_bias`, 7, 0.02],
  ];
  function setGolden(inst: MethodInstance, table: [string, number, number][]) {
    expect(inst.params.size).toBe(table.length);
    for (const [name, t, s] of table) {
      const v = inst.params.get(name);
      const value = sinTensor(t, s, v.shape);
      v.assign(value);
      value.dispose();
    }
  }
  const ind = () => inducer({ keyRank: 2, valueRank: 3 });
  const loraQ = () => lora({ sites: ['attn.q'], rank: 2, alpha: 32, dropout: 0.1, flavour: 'ka' });

  for (const order of ['inducer, lora', 'lora, inducer'] as const) {
    it(`mix(${order}): λ and output to 1e-5`, () => {
      const m = order === 'inducer, lora' ? mix(ind(), loraQ()) : mix(loraQ(), ind());
      const inst = m.init(GOLDEN_SPEC);
      const [iNs, lNs] = order === 'inducer, lora' ? ['inducer0.', 'lora1.'] : ['inducer1.', 'lora0.'];
      setGolden(inst, [...inducerTable(iNs), ...loraTable(lNs)]);
      const x = goldenInput();
      const w = goldenAttentionWeights();
      const before = tf.memory().numTensors;
      const { y, lambda } = gpt2Attention(x, w, inst.hooks(0), GOLDEN_SPEC);
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(maxAbsDiff(lambda!.dataSync(), LAMBDA_A.flat())).toBeLessThan(1e-5);
      expect(maxAbsDiff(y.dataSync(), OUTPUT_A.flat())).toBeLessThan(1e-5);
      tf.dispose([x, y, lambda!, ...Object.values(w)]);
      inst.dispose();
    });
  }

  it('mix(inducer) alone reproduces golden vector E (A without LoRA)', () => {
    const inst = mix(ind()).init(GOLDEN_SPEC);
    setGolden(inst, inducerTable('inducer0.'));
    const x = goldenInput();
    const w = goldenAttentionWeights();
    const { y, lambda } = gpt2Attention(x, w, inst.hooks(0), GOLDEN_SPEC);
    expect(maxAbsDiff(y.dataSync(), OUTPUT_E.flat())).toBeLessThan(1e-5);
    tf.dispose([x, y, lambda!, ...Object.values(w)]);
    inst.dispose();
  });
});

describe('mix: training', () => {
  const withoutInducer = () => [
    prefix({ length: 2, midDim: 3 }),
    // a second prefix: the shared supports are concatenated, and gradients flow through the concatenation
    prefix({ length: 1, reparameterize: false }),
    lora({ sites: ['attn.q'], rank: 2, alpha: 32, flavour: 'ka' }),
    // a smooth activation: a ReLU with b = 2 may be dead on every token of a small random input, and its gradient rightly 0
    adapter({ placement: 'attn-output', bottleneck: 2, layerNormBefore: true, activation: 'gelu' }),
    adapter({ placement: 'ffn-parallel', bottleneck: 2, init: 'lora', scale: 2, activation: 'tanh' }),
  ];
  it('gradients reach every parameter of a MAM-style mix (prefix + LoRA + adapters), no leaks', () => {
    expectGradientsEverywhere(mix(...withoutInducer()));
  });
  it('… and with an inducer in the mix too', () => {
    expectGradientsEverywhere(mix(inducer({ keyRank: 2, valueRank: 2 }), ...withoutInducer()));
  });
});

function expectGradientsEverywhere(m: ReturnType<typeof mix>): void {
  {
    const inst = m.init(TINY, { seed: 3 });
    // LoRA B and the 'lora' adapter's up start at 0: give those a value so every gradient is non-zero
    inst.params.entries().forEach(([, v], i) => {
      if (Array.from(v.dataSync()).every((x) => x === 0)) v.assign(tf.tensor(pseudoRandom(v.size, 11 + i, 0.2), v.shape));
    });
    const w = {
      wAttn: sinTensor(1, 0.5, [8, 24]),
      bAttn: sinTensor(2, 0.1, [24]),
      wO: sinTensor(3, 0.3, [8, 8]),
      bO: sinTensor(4, 0.1, [8]),
    };
    const x = tf.tensor3d(pseudoRandom(2 * 3 * 8, 4), [2, 3, 8]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      let loss = tf.scalar(0);
      for (let layer = 0; layer < TINY.numLayers; layer++) {
        const ctx = trainingContext(0, layer);
        const hooks = inst.hooks(layer);
        const { y, lambda } = gpt2Attention(x, w, hooks, TINY, ctx);
        const z = hooks.ffnParallel!(y, ctx);
        loss = tf.add(loss, tf.add(tf.sum(tf.square(y)), tf.sum(tf.mul(z, y))));
        lambda?.dispose();
      }
      return loss as tf.Scalar;
    }, inst.params.variables());
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    for (const [name, v] of inst.params.entries()) {
      const g = grads[v.name];
      expect(g, name).toBeDefined();
      expect(Math.max(...Array.from(g!.dataSync()).map(Math.abs)), name).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, ...Object.values(w)]);
    inst.dispose();
  }
}

/** A model stand-in with linear kernels only: enough for attach, save, load and merge. */
function fakeModel(spec: ModelSpec): TunableModel & { kernel(layer: number, site: LinearSite): tf.Tensor2D } {
  const kernels = new Map<string, tf.Tensor2D>();
  const biases = new Map<string, tf.Tensor1D>();
  const key = (l: number, s: string) => `${l}.${s}`;
  for (let l = 0; l < spec.numLayers; l++) {
    for (const s of ['attn.q', 'attn.k', 'attn.v', 'attn.o'] as const) {
      kernels.set(key(l, s), tf.tensor2d(pseudoRandom(64, l * 10 + s.length), [8, 8]));
      biases.set(key(l, s), tf.zeros([8]) as tf.Tensor1D);
    }
  }
  return {
    spec,
    useMethod: () => undefined,
    baseParameterCount: () => 1000,
    // core's LinearWeights contract: getters hand out copies, setters copy their argument
    getLinearKernel: (l, s) => tf.clone(kernels.get(key(l, s))!),
    setLinearKernel: (l, s, k) => {
      kernels.get(key(l, s))!.dispose();
      kernels.set(key(l, s), tf.clone(k));
    },
    getLinearBias: (l, s) => {
      const b = biases.get(key(l, s));
      return b ? tf.clone(b) : undefined;
    },
    setLinearBias: (l, s, b) => {
      biases.get(key(l, s))?.dispose();
      biases.set(key(l, s), tf.clone(b));
    },
    kernel: (l, s) => kernels.get(key(l, s))!,
  };
}

describe('mix: adapter files, merge', () => {
  it('saves and reloads through the method registry (adapter_config.json peft_method = mix)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peft-mam-'));
    try {
      const model = fakeModel(TINY);
      const m = mix(inducer({ keyRank: 2, valueRank: 2 }), lora({ sites: ['attn.q'], rank: 2 }), prefix({ length: 2, midDim: 3 })).withName('test-mix');
      const tuned = attach(model, m, { seed: 4 });
      randomiseAll(tuned.instance, 21);
      await tuned.save(dir);
      const loaded = await loadAdapter(dir, model);
      expect(loaded.method.type).toBe('mix');
      // the stored form: the prefix part as its plain prefixes, the other parts as trained
      const storedParts = (m.config.parts as { type: string; config: object }[]).map((p) => (p.type === 'prefix' ? { ...p, config: { ...p.config, reparameterize: false } } : p));
      expect(loaded.method.config).toEqual({ ...m.config, parts: storedParts });
      expect(loaded.method.describe()).toMatch(/^test-mix: inducer.* \+ prefix\(L=2, plain\)$/);
      const stored = tuned.instance.stored!.build();
      expect(loaded.instance.params.names().sort()).toEqual(stored.params.names().sort());
      expect(loaded.instance.params.names()).toContain('prefix2.layers.1.values');
      for (const [name, v] of stored.params.entries()) {
        expect(Array.from(loaded.instance.params.get(name).dataSync()), name).toEqual(Array.from(v.dataSync()));
      }
      for (const name of tuned.instance.params.names().filter((n) => !n.startsWith('prefix2.'))) {
        expect(Array.from(loaded.instance.params.get(name).dataSync()), name).toEqual(Array.from(tuned.instance.params.get(name).dataSync()));
      }
      // disposing the stored form frees its prefixes only: the trained variables stay usable
      stored.dispose();
      expect(tuned.instance.params.variables().every((v) => !v.isDisposed)).toBe(true);
      // rebuilt from JSON alone too
      const again = methodFromDescriptor(JSON.parse(JSON.stringify(describeMethod(m))));
      expect(again.describe()).toBe(m.describe());
      loaded.dispose();
      tuned.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('importTensors rejects a key of no part, and names a missing or misshapen tensor by its file key', () => {
    const m = mix(prefix({ length: 2, reparameterize: false }), adapter({ placement: 'ffn-output', bottleneck: 2 }));
    const source = m.init(TINY, { seed: 1 });
    const inst = m.init(TINY, { seed: 2 });
    const tensors = source.exportTensors!().tensors;
    const extra = tf.zeros([2]);
    expect(() => inst.importTensors!({ ...tensors, 'lora9.x': extra }, 'f.safetensors')).toThrow(/lora9\.x.*f\.safetensors.*prefix0\., adapter1\./);
    const { ['adapter1.layers.1.ffn_output.up.bias']: _dropped, ...missing } = tensors;
    expect(() => inst.importTensors!(missing, 'f.safetensors')).toThrow(MissingTensorError);
    expect(() => inst.importTensors!(missing, 'f.safetensors')).toThrow(/'adapter1\.layers\.1\.ffn_output\.up\.bias' is missing/);
    expect(() => inst.importTensors!({ ...tensors, 'prefix0.prompt_embeddings': extra }, 'f.safetensors')).toThrow(TensorShapeMismatchError); // PEFT's layout
    inst.importTensors!(tensors, 'f.safetensors');
    expect(Array.from(inst.params.get('prefix0.layers.1.values').dataSync())).toEqual(Array.from(source.params.get('prefix0.layers.1.values').dataSync()));
    extra.dispose();
    source.dispose();
    inst.dispose();
  });

  it('merge and unmerge delegate to the LoRA part', () => {
    const model = fakeModel(TINY);
    const inst = mix(lora({ sites: ['attn.q'], rank: 2, flavour: 'loralib' }), adapter({ placement: 'ffn-parallel', bottleneck: 2 })).init(TINY);
    randomiseAll(inst, 5);
    expect(inst.merge).toBeDefined();
    const before = Array.from(model.kernel(1, 'attn.q').dataSync());
    inst.merge!(model);
    expect(inst.merged).toBe(true);
    expect(maxAbsDiff(model.kernel(1, 'attn.q').dataSync(), before)).toBeGreaterThan(1e-3);
    inst.unmerge!(model);
    expect(inst.merged).toBe(false);
    expect(maxAbsDiff(model.kernel(1, 'attn.q').dataSync(), before)).toBeLessThan(1e-6);
    inst.dispose();
    expect(mix(adapter({ placement: 'ffn-parallel', bottleneck: 2 })).init(TINY).merge).toBeUndefined();
  });
});
