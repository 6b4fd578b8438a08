import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  EVAL_CONTEXT,
  describeMethod,
  methodFromDescriptor,
  trainingContext,
  type MethodInstance,
  type ModelSpec,
} from '@peft/core';
import { describe, expect, it } from 'vitest';
import { adapter, adapterParameterCount, resolveAdapterConfig, type AdapterConfig } from '@peft/adapter';
import { chunk, pseudoRandom, refAdapter, type RefWeights } from './reference.js';

const GPT2_SMALL: ModelSpec = { architecture: 'gpt2', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072 };
const TINY: ModelSpec = { architecture: 'gpt2', numLayers: 2, hiddenSize: 8, numHeads: 2, headDim: 4, intermediateSize: 32 };

/** spec §5: adapter_KA(b, ln) = 12·((ln ? 1536 : 0) + 1537·b + 768). */
const adapterKA = (b: number, ln: boolean) => 12 * ((ln ? 1536 : 0) + 1537 * b + 768);

function countOf(config: AdapterConfig, spec: ModelSpec): { created: number; fromShapes: number } {
  const m = adapter(config);
  const inst = m.init(spec, { seed: 1 });
  const created = inst.params.count();
  inst.dispose();
  return { created, fromShapes: m.parameterCount(spec) };
}

describe('adapter parameter counts (spec §5)', () => {
  it('Adapter-108 with LN before (KA pfeiffer-adapter.json: factor 7.11) has 2,019,600 parameters', () => {
    const c = countOf({ placement: 'attn-output', reductionFactor: 7.11, layerNormBefore: true }, GPT2_SMALL);
    expect(adapterKA(108, true)).toBe(2_019_600);
    expect(c.created).toBe(2_019_600);
    expect(c.fromShapes).toBe(2_019_600);
  });

  it('the MAM NLG parallel FFN adapter (factor 18.2 → 42, LN) has 12·66,858 parameters', () => {
    const c = countOf({ placement: 'ffn-parallel', reductionFactor: 18.2, layerNormBefore: true }, GPT2_SMALL);
    expect(c.created).toBe(12 * 66_858);
    expect(c.fromShapes).toBe(adapterKA(42, true));
  });

  it('HE parallel FFN 12 without LN, and a Houlsby pair counts twice', () => {
    expect(countOf({ placement: 'ffn-parallel', bottleneck: 12, init: 'lora', scale: 2 }, GPT2_SMALL).created).toBe(12 * 19_212);
    const houlsby = countOf({ placement: ['attn-output', 'ffn-output'], bottleneck: 16 }, GPT2_SMALL);
    expect(houlsby.created).toBe(2 * adapterKA(16, false));
    expect(houlsby.fromShapes).toBe(houlsby.created);
  });

  it('a learnable scale and an LN after add 1 and 2d per adapter', () => {
    const base = adapterKA(4, false) / 12; // per layer, d = 768
    const c = countOf({ placement: 'ffn-output', bottleneck: 4, scale: 'learnable', layerNormAfter: true }, GPT2_SMALL);
    expect(c.created).toBe(12 * (base + 1 + 1536));
    expect(c.fromShapes).toBe(c.created);
  });
});

describe('adapter initialisation', () => {
  it("'lora' init is an exact no-op: sequential returns x, parallel returns 0", () => {
    const inst = adapter({ placement: ['attn-output', 'ffn-parallel'], bottleneck: 3, init: 'lora', scale: 4 }).init(TINY, { seed: 3 });
    const x = tf.tensor3d(pseudoRandom(2 * 4 * 8, 1, 3), [2, 4, 8]);
    const h = inst.hooks(1);
    const seq = h.attnOutput!(x, EVAL_CONTEXT);
    const par = h.ffnParallel!(x, EVAL_CONTEXT);
    expect(Array.from(seq.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(Array.from(par.dataSync()).every((v) => v === 0)).toBe(true);
    // but the down projection is not zero: kaiming-uniform(√5) = U(±1/√d)
    const down = inst.params.get('layers.1.attn_output.down.weight').dataSync();
    const bound = 1 / Math.sqrt(8);
    expect(Math.max(...Array.from(down).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(down).map(Math.abs))).toBeGreaterThan(bound / 2);
    tf.dispose([x, seq, par]);
    inst.dispose();
  });

  it("'bert' init draws N(0, 0.02) weights, zero biases, LN(1, 0)", () => {
    const inst = adapter({ placement: 'attn-output', bottleneck: 108, layerNormBefore: true }).init(GPT2_SMALL, { seed: 0 });
    const w = Array.from(inst.params.get('layers.5.attn_output.down.weight').dataSync());
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(1e-3);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
    expect(Array.from(inst.params.get('layers.5.attn_output.up.bias').dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(inst.params.get('layers.5.attn_output.ln_before.weight').dataSync()).every((v) => v === 1)).toBe(true);
    inst.dispose();
  });

  it('values depend on (seed, name) only', () => {
    const a = adapter({ placement: 'ffn-output', bottleneck: 3 }).init(TINY, { seed: 7 });
    const b = adapter({ placement: ['attn-output', 'ffn-output'], bottleneck: 3 }).init(TINY, { seed: 7 });
    const c = adapter({ placement: 'ffn-output', bottleneck: 3 }).init(TINY, { seed: 8 });
    const name = 'layers.0.ffn_output.up.weight';
    expect(Array.from(b.params.get(name).dataSync())).toEqual(Array.from(a.params.get(name).dataSync()));
    expect(Array.from(c.params.get(name).dataSync())).not.toEqual(Array.from(a.params.get(name).dataSync()));
    [a, b, c].forEach((i) => i.dispose());
  });
});

/** Overwrites every parameter of `inst` with pseudo-random values and returns them as a float64 reference. */
function randomise(inst: MethodInstance, stem: string, salt: number, fixedScale: number): RefWeights {
  const get = (n: string) => (inst.params.has(`${stem}.${n}`) ? inst.params.get(`${stem}.${n}`) : undefined);
  const fill = (n: string, amp: number, offset = 0) => {
    const v = get(n);
    if (!v) return undefined;
    const vals = pseudoRandom(v.size, salt++, amp).map((x) => Math.fround(x + offset));
    v.assign(tf.tensor(vals, v.shape));
    return vals;
  };
  const [d, b] = get('down.weight')!.shape as [number, number];
  const down = fill('down.weight', 0.6)!;
  const downBias = fill('down.bias', 0.3)!;
  const up = fill('up.weight', 0.6)!;
  const upBias = fill('up.bias', 0.3)!;
  const lnbw = fill('ln_before.weight', 0.5, 1);
  const lnbb = fill('ln_before.bias', 0.2);
  const lnaw = fill('ln_after.weight', 0.5, 1);
  const lnab = fill('ln_after.bias', 0.2);
  const scale = fill('scale', 0.5, 1);
  return {
    down: chunk(down, b),
    downBias,
    up: chunk(up, d),
    upBias,
    ...(lnbw ? { lnBefore: { w: lnbw, b: lnbb! } } : {}),
    ...(lnaw ? { lnAfter: { w: lnaw, b: lnab! } } : {}),
    scale: scale ? scale[0]! : fixedScale,
  };
}

describe('adapter forward equals an independent float64 computation', () => {
  const cases: { name: string; config: AdapterConfig; site: 'attnOutput' | 'ffnOutput' | 'ffnParallel' }[] = [
    { name: 'Pfeiffer: LN before, relu, residual', config: { placement: 'attn-output', bottleneck: 3, layerNormBefore: true }, site: 'attnOutput' },
    { name: 'ffn-output, tanh, LN after, learnable scale', config: { placement: 'ffn-output', bottleneck: 5, activation: 'tanh', layerNormAfter: true, scale: 'learnable' }, site: 'ffnOutput' },
    { name: 'parallel, gelu, scale 4, both LNs', config: { placement: 'ffn-parallel', bottleneck: 2, activation: 'gelu', scale: 4, layerNormBefore: true, layerNormAfter: true }, site: 'ffnParallel' },
    { name: 'sequential without residual', config: { placement: 'ffn-output', bottleneck: 3, residual: false, scale: 0.5 }, site: 'ffnOutput' },
  ];
  for (const { name, config, site } of cases) {
    it(name, () => {
      const resolved = resolveAdapterConfig(config);
      const inst = adapter(config).init(TINY, { seed: 11 });
      const stem = `layers.1.${resolved.placement[0]!.replace('-', '_')}`;
      const ref = randomise(inst, stem, 5, typeof resolved.scale === 'number' ? resolved.scale : NaN);
      const xs = pseudoRandom(2 * 3 * 8, 9, 2).map(Math.fround);
      const x = tf.tensor3d(xs, [2, 3, 8]);
      const before = tf.memory().numTensors;
      const y = inst.hooks(1)[site]!(x, EVAL_CONTEXT);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(y.shape).toEqual([2, 3, 8]);
      const residual = site !== 'ffnParallel' && resolved.residual;
      const want = refAdapter(chunk(xs, 8), ref, { activation: resolved.activation, residual, eps: resolved.layerNormEps }).flat();
      const got = Array.from(y.dataSync());
      const err = Math.max(...got.map((g, i) => Math.abs(g - want[i]!)));
      expect(err).toBeLessThan(2e-5);
      // not trivially x or 0
      expect(Math.max(...got.map((g, i) => Math.abs(g - (residual ? xs[i]! : 0))))).toBeGreaterThan(0.05);
      tf.dispose([x, y]);
      inst.dispose();
    });
  }
});

describe('adapter training behaviour', () => {
  it('gradients reach every parameter, and hooks leak no tensors', () => {
    const config: AdapterConfig = {
      placement: ['attn-output', 'ffn-output', 'ffn-parallel'],
      bottleneck: 3,
      layerNormBefore: true,
      layerNormAfter: true,
      scale: 'learnable',
      dropout: 0.1,
    };
    const inst = adapter(config).init(TINY, { seed: 2 });
    const x = tf.tensor3d(pseudoRandom(2 * 3 * 8, 4, 2), [2, 3, 8]);
    const probe = tf.tensor3d(pseudoRandom(2 * 3 * 8, 6), [2, 3, 8]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      let loss = tf.scalar(0);
      for (let layer = 0; layer < TINY.numLayers; layer++) {
        const ctx = trainingContext(1, layer);
        const h = inst.hooks(layer);
        const a = h.attnOutput!(x, ctx);
        const f = h.ffnOutput!(tf.add(a, h.ffnParallel!(a, ctx)), ctx);
        loss = tf.add(loss, tf.sum(tf.mul(f, probe)));
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
    tf.dispose([x, probe]);
    inst.dispose();
  });

  it('dropout acts in training only, after the activation', () => {
    const inst = adapter({ placement: 'ffn-parallel', bottleneck: 6, dropout: 0.5 }).init(TINY, { seed: 2 });
    const x = tf.tensor3d(pseudoRandom(3 * 8, 4, 2), [1, 3, 8]);
    const hook = inst.hooks(0).ffnParallel!;
    const evalA = hook(x, EVAL_CONTEXT);
    const trainA = hook(x, trainingContext(5, 0));
    const trainB = hook(x, trainingContext(5, 0));
    expect(Array.from(trainA.dataSync())).toEqual(Array.from(trainB.dataSync()));
    expect(Array.from(trainA.dataSync())).not.toEqual(Array.from(evalA.dataSync()));
    tf.dispose([x, evalA, trainA, trainB]);
    inst.dispose();
  });
});

describe('adapter method value', () => {
  it('claims: sequential sites exclusively, the parallel site shared', () => {
    const m = adapter({ placement: ['attn-output', 'ffn-parallel'], bottleneck: 4 });
    expect(m.claims).toEqual([
      { site: 'attn.output', exclusive: true },
      { site: 'ffn.parallel', exclusive: false },
    ]);
    expect(m.describe()).toContain('attn-output+ffn-parallel');
  });

  it('rebuilds from its descriptor (adapter_config.json) with the same parameters', () => {
    const m = adapter({ placement: 'attn-output', reductionFactor: 7.11, layerNormBefore: true });
    const json = JSON.parse(JSON.stringify(describeMethod(m)));
    const again = methodFromDescriptor(json);
    expect(again.type).toBe('adapter');
    expect(again.config).toEqual(m.config);
    expect(adapterParameterCount(resolveAdapterConfig(again.config as AdapterConfig), GPT2_SMALL)).toBe(2_019_600);
  });

  it('rejects bad configs with a ConfigError naming the field', () => {
    const bad: [unknown, string][] = [
      [{ placement: 'attn-output' }, 'adapter.bottleneck'],
      [{ placement: 'attn-output', bottleneck: 8, reductionFactor: 2 }, 'adapter.bottleneck'],
      [{ placement: 'attn-input', bottleneck: 8 }, 'adapter.placement'],
      [{ placement: ['ffn-output', 'ffn-output'], bottleneck: 8 }, 'adapter.placement'],
      [{ placement: 'ffn-output', bottleneck: 2.5 }, 'adapter.bottleneck'],
      [{ placement: 'ffn-output', bottleneck: 2, activation: 'swish' }, 'adapter.activation'],
      [{ placement: 'ffn-output', bottleneck: 2, scale: 'fixed' }, 'adapter.scale'],
      [{ placement: 'ffn-output', bottleneck: 2, dropout: 1 }, 'adapter.dropout'],
      [{ placement: 'ffn-output', bottleneck: 2, init: 'xavier' }, 'adapter.init'],
    ];
    for (const [config, field] of bad) {
      let err: unknown;
      try {
        adapter(config as AdapterConfig);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(config)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
    }
    expect(() => adapter({ placement: 'ffn-output', reductionFactor: 100 }).init(TINY)).toThrow(/no bottleneck/);
    const inst = adapter({ placement: 'ffn-output', bottleneck: 2 }).init(TINY);
    expect(() => inst.hooks(TINY.numLayers)).toThrow(ConfigError);
    inst.dispose();
  });
});
