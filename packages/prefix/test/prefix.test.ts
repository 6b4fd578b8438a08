import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, EVAL_CONTEXT, describeMethod, methodFromDescriptor, storedParameterCount, trainingContext, type ModelSpec } from '@peft/core';
import { kernelAttention } from '@peft/attention-kernel';
import { describe, expect, it } from 'vitest';
import { prefix, type PrefixConfig } from '@peft/prefix';
import { gpt2Spec, robertaSpec } from '@peft/models-gpt2-roberta';

// the models' own facts (GPT-2's past shifts positions, RoBERTa's does not): prefix-tuning reads them from the spec
const GPT2_SMALL: ModelSpec = gpt2Spec({ nLayer: 12, nEmbd: 768, nHead: 12, nInner: 3072, vocabSize: 50257 });
const ROBERTA_BASE: ModelSpec = robertaSpec({ numLayers: 12, hiddenSize: 768, numHeads: 12, intermediateSize: 3072, vocabSize: 50265 });
// d = 8, N_h = 2, p = 4, 3 layers
const TINY: ModelSpec = gpt2Spec({ nLayer: 3, nEmbd: 8, nHead: 2, nInner: 32, vocabSize: 50257 });
const TINY_ROBERTA: ModelSpec = robertaSpec({ numLayers: 3, hiddenSize: 8, numHeads: 2, intermediateSize: 32, vocabSize: 50265 });

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

describe('prefix parameter counts (spec §4.3)', () => {
  it('GPT-2 small, L = 10, m = 512: training L·d + d·m + m + m·18,432 + 18,432; inference 18,432·L', () => {
    const m = prefix({ length: 10, midDim: 512 });
    const inst = m.init(GPT2_SMALL, { seed: 0 });
    const training = 10 * 768 + 768 * 512 + 512 + 512 * 18_432 + 18_432;
    expect(inst.params.count()).toBe(training);
    expect(m.parameterCount(GPT2_SMALL)).toBe(training);
    expect(m.inferenceParameterCount(GPT2_SMALL)).toBe(184_320);
    const plain = inst.export();
    expect(plain.params.count()).toBe(18_432 * 10);
    expect(plain.method.config.reparameterize).toBe(false);
    plain.dispose();
    inst.dispose();
  });

  it('stores the plain prefixes: stored.build() has 18,432·L parameters and the same supports; plain prefixes store as trained', () => {
    const inst = prefix({ length: 4, midDim: 8, init: 'torch-default' }).init(TINY, { seed: 2 });
    const stored = inst.stored!.build();
    expect(stored.params.count()).toBe(TINY.numLayers * 2 * TINY.hiddenSize * 4);
    expect(inst.stored!.parameterCount).toBe(stored.params.count());
    expect(storedParameterCount(inst)).toBe(stored.params.count());
    expect((stored.method.config as { reparameterize: boolean }).reparameterize).toBe(false);
    for (let layer = 0; layer < TINY.numLayers; layer++) {
      const a = inst.layerPrefix(layer);
      const b = (stored as typeof inst).layerPrefix(layer);
      expect(maxAbsDiff(a.keys.dataSync(), b.keys.dataSync())).toBe(0);
      expect(maxAbsDiff(a.values.dataSync(), b.values.dataSync())).toBe(0);
      tf.dispose([a.keys, a.values, b.keys, b.values]);
    }
    stored.dispose();
    expect(inst.params.variables().every((v) => !v.isDisposed)).toBe(true);
    inst.dispose();
    const plain = prefix({ length: 4, reparameterize: false }).init(TINY);
    expect(plain.stored).toBeUndefined();
    expect(storedParameterCount(plain)).toBe(plain.params.count());
    plain.dispose();
  });

  it('plain prefixes (reparameterize: false) train 18,432·L parameters', () => {
    const m = prefix({ length: 16, reparameterize: false });
    const inst = m.init(ROBERTA_BASE);
    expect(inst.params.count()).toBe(18_432 * 16);
    expect(m.parameterCount(ROBERTA_BASE)).toBe(294_912);
    expect(inst.params.get('layers.11.values').shape).toEqual([12, 16, 64]);
    inst.dispose();
  });
});

describe('prefix layout and values', () => {
  it('layer ℓ takes keys from MLP slice 2ℓ and values from 2ℓ+1: flat index ((2ℓ + kv)·N_h + head)·p + dim', () => {
    const L = 3;
    const mid = 5;
    const inst = prefix({ length: L, midDim: mid, init: 'torch-default' }).init(TINY, { seed: 4 });
    const { hiddenSize: d, numLayers, numHeads: H, headDim: p } = TINY;
    const read = (n: string) => Array.from(inst.params.get(n).dataSync());
    const E = read('embedding');
    const W0 = read('mlp.0.weight');
    const b0 = read('mlp.0.bias');
    // the output Linear(m, n_layer·2d) is held as per-layer column blocks [m, 2d]: reassemble the whole [m, out]
    const outDim = numLayers * 2 * d;
    const blocks = Array.from({ length: numLayers }, (_, l) => read(`mlp.2.${l}.weight`));
    const W2 = Array.from({ length: mid * outDim }, (_, idx) => {
      const [j, c] = [Math.floor(idx / outDim), idx % outDim];
      return blocks[Math.floor(c / (2 * d))]![j * 2 * d + (c % (2 * d))]!;
    });
    const b2 = Array.from({ length: numLayers }, (_, l) => read(`mlp.2.${l}.bias`)).flat();
    // the whole MLP in float64: out[i][c] for token i
    const out: number[][] = [];
    for (let i = 0; i < L; i++) {
      const hidden = b0.map((b, j) => Math.tanh(E.slice(i * d, (i + 1) * d).reduce((a, e, k) => a + e * W0[k * mid + j]!, b)));
      out.push(b2.map((b, c) => hidden.reduce((a, h, j) => a + h * W2[j * outDim + c]!, b)));
    }
    for (let layer = 0; layer < numLayers; layer++) {
      const { keys, values } = inst.layerPrefix(layer);
      expect(keys.shape).toEqual([H, L, p]);
      const k = keys.arraySync() as number[][][];
      const v = values.arraySync() as number[][][];
      let err = 0;
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < L; i++) {
          for (let dim = 0; dim < p; dim++) {
            err = Math.max(err, Math.abs(k[h]![i]![dim]! - out[i]![((2 * layer + 0) * H + h) * p + dim]!));
            err = Math.max(err, Math.abs(v[h]![i]![dim]! - out[i]![((2 * layer + 1) * H + h) * p + dim]!));
          }
        }
      }
      expect(err).toBeLessThan(1e-5);
      tf.dispose([keys, values]);
    }
    inst.dispose();
  });

  it('export() gives plain prefixes whose supports equal the reparameterised ones exactly', () => {
    const inst = prefix({ length: 4, midDim: 6 }).init(TINY, { seed: 9 });
    const plain = inst.export();
    expect(plain.positionOffset).toBe(4);
    expect(plain.params.names()).toContain('layers.2.keys');
    const q = tf.zeros([1, 2, 3, 4]) as tf.Tensor4D;
    for (let layer = 0; layer < TINY.numLayers; layer++) {
      const a = inst.hooks(layer).supports!({ q, k: q, v: q, queryOffset: 0, ctx: EVAL_CONTEXT }).shared!;
      const b = plain.hooks(layer).supports!({ q, k: q, v: q, queryOffset: 0, ctx: EVAL_CONTEXT }).shared!;
      expect(Array.from(b.keys.dataSync())).toEqual(Array.from(a.keys.dataSync()));
      expect(Array.from(b.values.dataSync())).toEqual(Array.from(a.values.dataSync()));
      expect(Math.max(...Array.from(a.values.dataSync()).map(Math.abs))).toBeGreaterThan(0);
      tf.dispose([a.keys, a.values, b.keys, b.values]);
    }
    // the export is independent of the source
    inst.dispose();
    const k = plain.layerPrefix(0);
    expect(k.keys.shape).toEqual([2, 4, 4]);
    tf.dispose([k.keys, k.values, q]);
    plain.dispose();
  });

  it("init 'hf' is N(0, 0.02) with zero biases; 'torch-default' is N(0, 1) / U(±1/√fan_in)", () => {
    const hf = prefix({ length: 8, midDim: 64 }).init(GPT2_SMALL, { seed: 1 });
    const std = (xs: Float32Array | Int32Array | Uint8Array) => Math.sqrt(Array.from(xs).reduce((a, x) => a + x * x, 0) / xs.length);
    expect(std(hf.params.get('mlp.2.7.weight').dataSync())).toBeCloseTo(0.02, 3);
    expect(Array.from(hf.params.get('mlp.2.7.bias').dataSync()).every((x) => x === 0)).toBe(true);
    hf.dispose();
    const torch = prefix({ length: 8, midDim: 64, init: 'torch-default' }).init(GPT2_SMALL, { seed: 1 });
    expect(std(torch.params.get('embedding').dataSync())).toBeGreaterThan(0.95);
    expect(std(torch.params.get('embedding').dataSync())).toBeLessThan(1.05);
    const bias = Array.from(torch.params.get('mlp.2.0.bias').dataSync());
    expect(Math.max(...bias.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(64));
    expect(Math.max(...bias.map(Math.abs))).toBeGreaterThan(0.9 / Math.sqrt(64));
    const w0 = Array.from(torch.params.get('mlp.0.weight').dataSync());
    expect(Math.max(...w0.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(768));
    torch.dispose();
  });

  it('positions shift by L on GPT-2 (default), not on RoBERTa, and as configured', () => {
    const shift = (c: PrefixConfig, spec: ModelSpec) => {
      const inst = prefix(c).init(spec);
      const off = inst.positionOffset;
      inst.dispose();
      return off ?? 0;
    };
    expect(shift({ length: 5, midDim: 4 }, TINY)).toBe(5);
    expect(shift({ length: 5, midDim: 4 }, TINY_ROBERTA)).toBe(0);
    expect(shift({ length: 5, midDim: 4, positionShift: false }, TINY)).toBe(0);
    expect(shift({ length: 5, midDim: 4, positionShift: true }, TINY_ROBERTA)).toBe(5);
  });
});

/** Independent prefix-tuning attention: softmax over [P_k; K] with the causal mask shifted by L, in float64. */
function concatenatedAttention(
  q: number[][][][],
  k: number[][][][],
  v: number[][][][],
  pk: number[][][],
  pv: number[][][],
): number[] {
  const out: number[] = [];
  const [B, H, n, p] = [q.length, q[0]!.length, q[0]![0]!.length, q[0]![0]![0]!.length];
  const L = pk[0]!.length;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const keys = [...pk[h]!, ...k[b]![h]!];
      const vals = [...pv[h]!, ...v[b]![h]!];
      for (let i = 0; i < n; i++) {
        // GPT-2's bias[:, :, L:L+n, :L+n]: query i (absolute L + i) sees every prefix and real keys j ≤ i
        const logits = keys.map((key, j) =>
          j < L + i + 1 ? key.reduce((a, kj, t) => a + kj * q[b]![h]![i]![t]!, 0) / Math.sqrt(p) : -Infinity,
        );
        const mx = Math.max(...logits);
        const w = logits.map((s) => Math.exp(s - mx));
        const z = w.reduce((a, x) => a + x, 0);
        for (let t = 0; t < p; t++) out.push(vals.reduce((a, val, j) => a + (w[j]! / z) * val[t]!, 0));
      }
    }
  }
  return out;
}

describe('the prefix-tuning identity through the kernel', () => {
  it('kernel attention with shared supports == softmax attention over the concatenated keys/values (causal)', () => {
    const inst = prefix({ length: 3, midDim: 7, init: 'torch-default' }).init(TINY, { seed: 2 });
    const [B, H, n, p] = [2, 2, 4, 4];
    const q = tf.tensor4d(pseudoRandom(B * H * n * p, 1, 1.5), [B, H, n, p]);
    const k = tf.tensor4d(pseudoRandom(B * H * n * p, 2, 1.5), [B, H, n, p]);
    const v = tf.tensor4d(pseudoRandom(B * H * n * p, 3, 1), [B, H, n, p]);
    const before = tf.memory().numTensors;
    const sup = inst.hooks(1).supports!({ q, k, v, queryOffset: 0, ctx: EVAL_CONTEXT });
    const { output, sharedWeight } = kernelAttention({ q, k, v, causal: true, supports: sup });
    const want = concatenatedAttention(
      q.arraySync(),
      k.arraySync(),
      v.arraySync(),
      sup.shared!.keys.arraySync() as number[][][],
      sup.shared!.values.arraySync() as number[][][],
    );
    expect(maxAbsDiff(output.dataSync(), want)).toBeLessThan(1e-5);
    // the prefixes do carry weight (the check is not vacuous)
    expect(Math.min(...Array.from(sharedWeight!.dataSync()))).toBeGreaterThan(0.05);
    tf.dispose([sup.shared!.keys, sup.shared!.values, output, sharedWeight!]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v]);
    inst.dispose();
  });
});

describe('prefix training', () => {
  for (const reparameterize of [true, false]) {
    it(`gradients reach every parameter (reparameterize: ${reparameterize}), no tensors leak`, () => {
      const inst = prefix({ length: 2, midDim: 5, reparameterize, dropout: 0.1 }).init(TINY, { seed: 3 });
      const q = tf.tensor4d(pseudoRandom(2 * 2 * 3 * 4, 5), [1, 2, 3, 4].map((x, i) => (i === 0 ? 2 : x)) as [number, number, number, number]);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => {
        let loss = tf.scalar(0);
        for (let layer = 0; layer < TINY.numLayers; layer++) {
          const sup = inst.hooks(layer).supports!({ q, k: q, v: q, queryOffset: 0, ctx: trainingContext(0, layer) });
          const { output } = kernelAttention({ q, k: q, v: q, causal: true, supports: sup });
          loss = tf.add(loss, tf.sum(tf.square(output)));
        }
        return loss as tf.Scalar;
      }, inst.params.variables());
      expect(value.dataSync()[0]).toBeGreaterThan(0);
      for (const [name, v] of inst.params.entries()) {
        const g = grads[v.name];
        expect(g, name).toBeDefined();
        expect(Math.max(...Array.from(g!.dataSync()).map(Math.abs)), name).toBeGreaterThan(0);
      }
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      q.dispose();
      inst.dispose();
    });
  }

  it('dropout changes the prefixes in training only', () => {
    const inst = prefix({ length: 4, midDim: 5, dropout: 0.5 }).init(TINY, { seed: 3 });
    const a = inst.layerPrefix(0);
    const b = inst.layerPrefix(0, trainingContext(1, 0));
    expect(Array.from(b.values.dataSync())).not.toEqual(Array.from(a.values.dataSync()));
    expect(Array.from(b.values.dataSync()).filter((x) => x === 0).length).toBeGreaterThan(0);
    tf.dispose([a.keys, a.values, b.keys, b.values]);
    inst.dispose();
  });
});

describe('prefix method value', () => {
  it('claims the shared slot of attn.supports, non-exclusively', () => {
    expect(prefix({ length: 2 }).claims).toEqual([{ site: 'attn.supports', slot: 'shared', exclusive: false }]);
  });

  it('rebuilds from its descriptor', () => {
    const m = prefix({ length: 16, midDim: 800, init: 'torch-default' });
    const again = methodFromDescriptor(JSON.parse(JSON.stringify(describeMethod(m))));
    expect(again.config).toEqual(m.config);
    expect(again.describe()).toBe(m.describe());
  });

  it('rejects bad configs naming the field', () => {
    const cases: [unknown, string][] = [
      [{ length: 0 }, 'prefix.length'],
      [{ length: 2, midDim: 1.5 }, 'prefix.midDim'],
      [{ length: 2, init: 'xavier' }, 'prefix.init'],
      [{ length: 2, dropout: -0.1 }, 'prefix.dropout'],
      [{ length: 2, reparameterize: 'yes' }, 'prefix.reparameterize'],
    ];
    for (const [c, field] of cases) {
      expect(() => prefix(c as PrefixConfig)).toThrow(ConfigError);
      try {
        prefix(c as PrefixConfig);
      } catch (e) {
        expect((e as ConfigError).field).toBe(field);
      }
    }
  });

  it('gives a grouped-query model prefix keys and values of its H_kv key/value heads', () => {
    const gqa: ModelSpec = { architecture: 'test-gqa', numLayers: 2, hiddenSize: 8, numHeads: 4, numKeyValueHeads: 2, headDim: 2, intermediateSize: 16, pastShiftsPositions: true };
    const inst = prefix({ length: 3, reparameterize: false }).init(gqa);
    try {
      expect(inst.params.get('layers.0.keys')!.shape).toEqual([2, 3, 2]);
      expect(inst.params.count()).toBe(2 * 2 * 3 * 2 * 2); // layers · (keys, values) · L · H_kv·p
      expect(inst.positionOffset).toBe(3);
    } finally {
      inst.dispose();
    }
    const reparam = prefix({ length: 3, midDim: 5 }).init(gqa);
    try {
      // PEFT's PrefixEncoder under grouped-query attention: token_dim = H_kv·p = 4 throughout
      expect(reparam.params.count()).toBe(3 * 4 + 4 * 5 + 5 + 5 * (2 * 2 * 4) + 2 * 2 * 4);
    } finally {
      reparam.dispose();
    }
  });
});
