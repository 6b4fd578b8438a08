import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  EVAL_CONTEXT,
  ShapeError,
  describeMethod,
  methodFromDescriptor,
  trainingContext,
  type ForwardContext,
  type ModelSpec,
} from '@peft/core';
import { explicitKernelAttention, kernelAttention } from '@peft/attention-kernel';
import { lora } from '@peft/lora';
import { inducer, inducerParameterCount, type InducerOptions } from '../src/index.js';
import { GOLDEN_SPEC_GPT2, GPT2_INDUCER_IDS, X, assignSinusoidal, gpt2AttentionBlock } from './blocks.js';

const GPT2_SMALL: ModelSpec = { architecture: 'gpt2', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072 };
const ROBERTA_BASE: ModelSpec = { ...GPT2_SMALL, architecture: 'roberta', quirks: { lambdaIgnoresPaddingMask: true } };

function count(options: InducerOptions, spec: ModelSpec): number {
  const inst = inducer(options).init(spec);
  const n = inst.params.count();
  expect(inducerParameterCount(inducer(options).config, spec)).toBe(n);
  inst.dispose();
  return n;
}

describe('inducer config', () => {
  it('defaults to KA inducer-lora.json (r_k 5, r_v 12, extension) with λ dropout 0.1', () => {
    expect(inducer().config).toEqual({ keyRank: 5, valueRank: 12, valueExtension: true, gating: false, headShare: false, lambdaDropout: 0.1 });
    expect(inducer().describe()).toBe('inducer r_k=5 r_v=12 (extension)');
    expect(inducer({ keyRank: 0, gating: true }).describe()).toBe('inducer adaptive P_k=√i·Q r_v=12 (extension, gating)');
  });

  it.each([
    [{ keyRank: -1 }, 'inducer.keyRank'],
    [{ keyRank: 2.5 }, 'inducer.keyRank'],
    [{ valueRank: 0 }, 'inducer.valueRank'],
    [{ valueExtension: 'yes' }, 'inducer.valueExtension'],
    [{ headShare: true, valueExtension: false }, 'inducer.headShare'],
    [{ lambdaDropout: 1 }, 'inducer.lambdaDropout'],
    [{ lambdaIgnoresPaddingMask: 1 }, 'inducer.lambdaIgnoresPaddingMask'],
    [{ prefix_length: 5 }, 'inducer.prefix_length'],
  ])('rejects %j naming %s', (bad, field) => {
    const err = (() => {
      try {
        inducer(bad as never);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });

  it('rebuilds from its descriptor', () => {
    const m = inducer({ keyRank: 3, valueRank: 7, lambdaIgnoresPaddingMask: false });
    const back = methodFromDescriptor(JSON.parse(JSON.stringify(describeMethod(m))));
    expect(back.type).toBe('inducer');
    expect(back.config).toEqual(m.config);
  });
});

describe('inducer parameter counts (spec §1.3, §5)', () => {
  it('NLG inducer-lora r_k=5, r_v=12 → 12·(8,508 + 120,720); with LoRA-Q 24 (KA) → 2,002,320 = 1.609 %', () => {
    const n = count({ keyRank: 5, valueRank: 12 }, GPT2_SMALL);
    expect(n).toBe(12 * (8_508 + 120_720));
    const l = lora({ sites: ['attn.q'], rank: 24, alpha: 32, flavour: 'ka' }).init(GPT2_SMALL);
    expect(n + l.params.count()).toBe(2_002_320);
    expect((100 * (n + l.params.count())) / 124_439_808).toBeCloseTo(1.609, 3);
    l.dispose();
  });
  it('NLG no-lora r_k=10, r_v=15 → 2,003,472; NLG MAM r_k=3, r_v=7 → 12·(5,412 + 70,740)', () => {
    expect(count({ keyRank: 10, valueRank: 15 }, GPT2_SMALL)).toBe(2_003_472);
    expect(count({ keyRank: 3, valueRank: 7 }, GPT2_SMALL)).toBe(12 * (5_412 + 70_740));
  });
  it('NLU r_k=2, r_v=4 (+ loralib LoRA-Q 4) → 609,120; NLU no-lora r_k=6, r_v=4 → 609,696; NLU MAM r_k=2, r_v=2', () => {
    const n = count({ keyRank: 2, valueRank: 4 }, ROBERTA_BASE);
    expect(n).toBe(12 * (3_864 + 40_752));
    const l = lora({ sites: ['attn.q'], rank: 4, alpha: 32 }).init(ROBERTA_BASE);
    expect(n + l.params.count()).toBe(609_120);
    l.dispose();
    expect(count({ keyRank: 6, valueRank: 4 }, ROBERTA_BASE)).toBe(609_696);
    expect(count({ keyRank: 2, valueRank: 2 }, ROBERTA_BASE)).toBe(12 * (3_864 + 20_760));
  });
  it('r_k ∈ {0, 1} builds no key MLP; no extension is 1548·r_v + 768 per layer; shared W2 follows §1.3', () => {
    expect(count({ keyRank: 0, valueRank: 12 }, GPT2_SMALL)).toBe(12 * (9_996 * 12 + 768));
    expect(count({ keyRank: 1, valueRank: 12 }, GPT2_SMALL)).toBe(12 * (9_996 * 12 + 768));
    expect(count({ keyRank: 5, valueRank: 12, valueExtension: false }, GPT2_SMALL)).toBe(12 * (1_548 * 5 + 768 + 1_548 * 12 + 768));
    expect(count({ keyRank: 0, valueRank: 4, headShare: true }, GPT2_SMALL)).toBe(12 * (64 * 4 * 12 + 12 * 4 + 4 * 12 * 64 + 12 * 64));
  });
  it('names parameters layers.{i}.inducer.{key|value}.{A|b1|B|b2} in KA’s PyTorch shapes', () => {
    const inst = inducer({ keyRank: 2, valueRank: 3 }).init(GOLDEN_SPEC_GPT2);
    expect(inst.params.rows()).toEqual([
      { name: 'layers.0.inducer.key.A', shape: [2, 4, 2], size: 16 },
      { name: 'layers.0.inducer.key.b1', shape: [2, 1, 2], size: 4 },
      { name: 'layers.0.inducer.key.B', shape: [2, 2, 4], size: 16 },
      { name: 'layers.0.inducer.key.b2', shape: [2, 1, 4], size: 8 },
      { name: 'layers.0.inducer.value.A', shape: [2, 4, 3], size: 24 },
      { name: 'layers.0.inducer.value.b1', shape: [2, 1, 3], size: 6 },
      { name: 'layers.0.inducer.value.B', shape: [2, 3, 8], size: 48 },
      { name: 'layers.0.inducer.value.b2', shape: [8], size: 8 },
    ]);
    inst.dispose();
  });
});

describe('inducer initialisation', () => {
  it('draws every parameter as fmod(randn, 2)·0.01: none zero, all inside ±0.02, std ≈ 0.00866, seeded by name', () => {
    const m = inducer({ keyRank: 5, valueRank: 12 });
    const spec = { ...GPT2_SMALL, numLayers: 2 }; // 258k draws
    const a = m.init(spec, { seed: 1 });
    const all = a.params.variables().flatMap((v) => Array.from(v.dataSync()));
    expect(all.every((v) => v !== 0 && Math.abs(v) < 0.02)).toBe(true);
    const std = Math.sqrt(all.reduce((s, v) => s + v * v, 0) / all.length);
    // E[fmod(z, 2)²] = 0.74976 for z ~ N(0, 1) (numerical integral), so the std is 0.01·√0.74976 = 0.008659;
    // a resampling truncated normal would give 0.00880 and a plain normal 0.01
    expect(std).toBeGreaterThan(0.0085);
    expect(std).toBeLessThan(0.0087);
    const b = m.init(spec, { seed: 1 });
    expect(Array.from(b.params.get('layers.1.inducer.value.B').dataSync().slice(0, 50))).toEqual(Array.from(a.params.get('layers.1.inducer.value.B').dataSync().slice(0, 50)));
    a.dispose();
    b.dispose();
  });
});

/** Queries etc. of moderate size, for the explicit estimator (which does not subtract a max). */
function qkv(seed: number, b: number, h: number, n: number, m: number, p: number) {
  return {
    q: tf.mul(tf.randomNormal([b, h, n, p], 0, 1, 'float32', seed), 0.5) as tf.Tensor4D,
    k: tf.mul(tf.randomNormal([b, h, m, p], 0, 1, 'float32', seed + 1), 0.5) as tf.Tensor4D,
    v: tf.randomNormal([b, h, m, p], 0, 1, 'float32', seed + 2) as tf.Tensor4D,
  };
}

describe('eq. 7 = eq. 8: the fast kernel with the inducer equals the explicit augmented estimator', () => {
  const spec: ModelSpec = { architecture: 'gpt2', numLayers: 1, hiddenSize: 16, numHeads: 2, headDim: 8, intermediateSize: 64 };
  it.each([
    ['per-head MLP_v (values f(Q) + m), causal', { valueExtension: false }, { causal: true }],
    ['per-head MLP_v, gating (absolute)', { valueExtension: false, gating: true }, { causal: true }],
    ['extension (λ only), causal', {}, { causal: true }],
    ['per-head MLP_v, padding mask, RoBERTa quirk', { valueExtension: false, lambdaIgnoresPaddingMask: true }, { mask: [1, 1, 1, 1, 0, 0] }],
    ['adaptive, no mask quirk', { keyRank: 0, valueExtension: false, lambdaIgnoresPaddingMask: false }, { mask: [1, 1, 1, 1, 1, 0] }],
  ] as const)('%s', (_, options, attn) => {
    const inst = inducer({ keyRank: 3, valueRank: 4, ...options }).init(spec, { seed: 5 });
    // larger parameters than the init, so the MLPs matter
    for (const v of inst.params.variables()) v.assign(tf.tidy(() => tf.mul(v, 30)));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const { q, k, v } = qkv(11, 2, 2, 6, 6, 8);
      const mask = 'mask' in attn ? tf.reshape(tf.mul(tf.sub(1, tf.tensor1d(attn.mask as unknown as number[])), -10000), [1, 1, 1, 6]) : undefined;
      const causal = 'causal' in attn;
      const sup = inst.hooks(0).supports!({ q, k, v, queryOffset: 0, ctx: EVAL_CONTEXT });
      const fast = kernelAttention({ q, k, v, causal, mask, supports: sup });
      const slow = explicitKernelAttention({ q, k, v, causal, mask, supports: sup });
      expect(tf.max(tf.abs(tf.sub(fast.output, slow.output))).dataSync()[0]).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(tf.sub(fast.lambda!, slow.lambda!))).dataSync()[0]).toBeLessThan(1e-6);
      // and the per-query support does move the output: λ is not negligible
      expect(tf.min(fast.lambda!).dataSync()[0]).toBeGreaterThan(1e-4);
    });
    expect(tf.memory().numTensors).toBe(before);
    inst.dispose();
  });
});

describe('inducer hooks', () => {
  it('adaptive keys use the absolute 1-based position queryOffset + i + 1 (KV cache)', () => {
    const inst = inducer({ keyRank: 0, valueRank: 2 }).init(GOLDEN_SPEC_GPT2);
    const q = tf.tensor4d(X.slice(0, 8), [1, 2, 1, 4]);
    const sup = inst.hooks(0).supports!({ q, k: q, v: q, queryOffset: 3, ctx: EVAL_CONTEXT });
    const want = Array.from(q.dataSync()).map((x) => x * 2); // √(3 + 0 + 1)
    expect(Array.from(sup.perQuery!.keys.dataSync()).map((x, i) => Math.abs(x - want[i]!))).toSatisfy((d: number[]) => Math.max(...d) < 1e-6);
    expect(sup.perQuery!.mode).toBe('residual');
    expect(sup.perQuery!.lambdaIgnoresPaddingMask).toBe(false);
    tf.dispose([q, sup.perQuery!.keys]);
    inst.dispose();
  });

  it('checks the head shape of Q and the layer index', () => {
    const inst = inducer({ keyRank: 2, valueRank: 2 }).init(GOLDEN_SPEC_GPT2);
    const q = tf.zeros([1, 3, 2, 4]) as tf.Tensor4D;
    expect(() => inst.hooks(0).supports!({ q, k: q, v: q, queryOffset: 0, ctx: EVAL_CONTEXT })).toThrow(ShapeError);
    expect(() => inst.hooks(1)).toThrow(ConfigError);
    q.dispose();
    inst.dispose();
  });

  it('in training, λ gets exactly one dropout (the kernel’s) and the MLPs none', () => {
    const inst = inducer({ keyRank: 2, valueRank: 3 }).init(GOLDEN_SPEC_GPT2);
    const inner = trainingContext(3, 0);
    const shapes: number[][] = [];
    const ctx: ForwardContext = {
      training: true,
      dropout: (x, rate) => {
        shapes.push([...x.shape, rate]);
        return inner.dropout(x, rate);
      },
    };
    const x = tf.tensor3d(X, [1, 4, 8]);
    const r = gpt2AttentionBlock(x, inst, undefined, ctx, 0.1);
    expect(shapes).toEqual([
      [1, 2, 4, 4, 0.1], // attention probabilities
      [1, 2, 4, 1, 0.1], // λ, its own mask
    ]);
    const evalR = gpt2AttentionBlock(x, inst);
    expect(tf.max(tf.abs(tf.sub(r.output, evalR.output))).dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([x, r.output, r.lambda, evalR.output, evalR.lambda]);
    inst.dispose();
  });

  it('leaks no tensors: the whole block under tidy, and init + dispose', () => {
    const before = tf.memory().numTensors;
    const inst = inducer({ keyRank: 2, valueRank: 3 }).init(GOLDEN_SPEC_GPT2);
    const shared = inducer({ keyRank: 0, valueRank: 3, headShare: true }).init(GOLDEN_SPEC_GPT2);
    const afterInit = tf.memory().numTensors;
    const x = tf.tensor3d(X, [1, 4, 8]);
    for (const i of [inst, shared]) {
      const y = tf.tidy(() => gpt2AttentionBlock(x, i, undefined, trainingContext(0, 0)).output);
      y.dispose();
    }
    x.dispose();
    expect(tf.memory().numTensors).toBe(afterInit);
    inst.dispose();
    shared.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes non-zero gradients to every inducer parameter (and LoRA B, not LoRA A while B = 0)', () => {
    for (const options of [{}, { valueExtension: false }, { gating: true }, { headShare: true }] as InducerOptions[]) {
      const ind = inducer({ keyRank: 2, valueRank: 3, ...options }).init(GOLDEN_SPEC_GPT2);
      if (!options.headShare) assignSinusoidal(ind, GPT2_INDUCER_IDS);
      const lq = lora({ sites: ['attn.q'], rank: 2, alpha: 32, flavour: 'ka' }).init(GOLDEN_SPEC_GPT2);
      const x = tf.tensor3d(X, [1, 4, 8]);
      const target = tf.tensor3d(X.map((v) => -v), [1, 4, 8]);
      const vars = [...ind.params.variables(), ...lq.params.variables()];
      const { value, grads } = tf.variableGrads(
        () => tf.tidy(() => tf.sum(tf.square(tf.sub(gpt2AttentionBlock(x, ind, lq).output, target))) as tf.Scalar),
        vars,
      );
      for (const [name, v] of [...ind.params.entries(), ...lq.params.entries()]) {
        const norm = tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!);
        if (name.endsWith('lora_A')) expect(norm, `${JSON.stringify(options)} ${name}`).toBe(0);
        else expect(norm, `${JSON.stringify(options)} ${name}`).toBeGreaterThan(0);
      }
      tf.dispose([value, x, target, ...Object.values(grads)]);
      ind.dispose();
      lq.dispose();
    }
  });
});
