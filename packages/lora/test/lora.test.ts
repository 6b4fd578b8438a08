import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { EVAL_CONTEXT, trainingContext, type LinearSite } from '@peft/core';
import { lora } from '../src/index.js';
import { GPT2_SMALL, ROBERTA_BASE, TINY_GPT2, matmul64, maxAbsDiff, transpose64, values } from './helpers.js';

describe('LoRA parameters', () => {
  it('counts 12·(1536·r + 768) per matrix for KA and 12·1536·r for loralib (spec §5)', () => {
    for (const r of [4, 24]) {
      const ka = lora({ sites: ['attn.q'], rank: r, alpha: 32, flavour: 'ka' }).init(GPT2_SMALL);
      const he = lora({ sites: ['attn.q'], rank: r, alpha: 32, flavour: 'loralib' }).init(ROBERTA_BASE);
      expect(ka.params.count()).toBe(12 * (1536 * r + 768));
      expect(he.params.count()).toBe(12 * 1536 * r);
      ka.dispose();
      he.dispose();
    }
  });

  it('LoRA-54 on Q and V with KA biases has 2,009,088 parameters; HE r=16 on Q,V has 589,824', () => {
    const m = lora({ sites: ['attn.q', 'attn.v'], rank: 54, alpha: 32, flavour: 'ka' }).init(GPT2_SMALL);
    expect(m.params.count()).toBe(2_009_088);
    m.dispose();
    const he = lora({ sites: ['attn.q', 'attn.v'], rank: 16, alpha: 32 }).init(ROBERTA_BASE);
    expect(he.params.count()).toBe(589_824);
    he.dispose();
  });

  it('names and shapes follow HF: A [r, d_in], B [d_out, r], bias [d_out]; FFN sites use d_ff', () => {
    const inst = lora({ sites: ['ffn.in', 'ffn.out'], rank: 3, flavour: 'ka' }).init(TINY_GPT2);
    expect(inst.params.rows().slice(0, 6)).toEqual([
      { name: 'layers.0.ffn.in.lora_A', shape: [3, 8], size: 24 },
      { name: 'layers.0.ffn.in.lora_B', shape: [12, 3], size: 36 },
      { name: 'layers.0.ffn.in.lora_bias', shape: [12], size: 12 },
      { name: 'layers.0.ffn.out.lora_A', shape: [3, 12], size: 36 },
      { name: 'layers.0.ffn.out.lora_B', shape: [8, 3], size: 24 },
      { name: 'layers.0.ffn.out.lora_bias', shape: [8], size: 8 },
    ]);
    inst.dispose();
  });

  it('initialises A ~ U(±1/√d_in) (seeded by name), B = b = 0: a fresh adapter is an exact no-op', () => {
    const m = lora({ sites: ['attn.q'], rank: 4, flavour: 'ka' });
    const i1 = m.init(GPT2_SMALL, { seed: 3 });
    const a = i1.params.get('layers.0.attn.q.lora_A').dataSync() as Float32Array;
    const bound = 1 / Math.sqrt(768);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(Math.abs(a.reduce((s, v) => s + v, 0) / a.length)).toBeLessThan(0.002);
    expect(i1.params.get('layers.5.attn.q.lora_B').dataSync().every((v) => v === 0)).toBe(true);
    expect(i1.params.get('layers.5.attn.q.lora_bias').dataSync().every((v) => v === 0)).toBe(true);
    const i2 = m.init(GPT2_SMALL, { seed: 3 });
    expect(maxAbsDiff(i2.params.get('layers.0.attn.q.lora_A').dataSync(), a)).toBe(0);
    const i3 = m.init(GPT2_SMALL, { seed: 4 });
    expect(maxAbsDiff(i3.params.get('layers.0.attn.q.lora_A').dataSync(), a)).toBeGreaterThan(0);
    const x = tf.randomNormal([2, 3, 768]);
    const y = tf.randomNormal([2, 3, 768]);
    const out = i1.hooks(0).linear!['attn.q']!(x, y, trainingContext(1, 0));
    expect(maxAbsDiff(out.dataSync(), y.dataSync())).toBe(0);
    tf.dispose([x, y, out]);
    [i1, i2, i3].forEach((i) => i.dispose());
  });

  it.each(['ka', 'loralib'] as const)('computes Δ = (x·Aᵀ·s)·Bᵀ + b·s (%s) like a float64 hand computation', (flavour) => {
    const inst = lora({ sites: ['ffn.in'], rank: 2, alpha: 32, flavour }).init(TINY_GPT2);
    const A = values(5, 0.05, [2, 8]);
    const B = values(6, 0.05, [12, 2]);
    const b = values(7, 0.02, [12]);
    const assign: Record<string, tf.Tensor> = {};
    for (const [name] of inst.params.entries()) {
      const last = name.split('.').pop();
      assign[name] = last === 'lora_A' ? tf.tensor(A, [2, 8]) : last === 'lora_B' ? tf.tensor(B, [12, 2]) : tf.tensor(b, [12]);
    }
    inst.params.assign(assign);
    tf.dispose(Object.values(assign));
    const X = values(0, 1, [4, 8]);
    const x = tf.tensor(X, [1, 4, 8]);
    const y = tf.zeros([1, 4, 12]);
    const got = inst.hooks(1).linear!['ffn.in']!(x, y, EVAL_CONTEXT);
    expect(got.shape).toEqual([1, 4, 12]);
    const s = 16;
    const want = matmul64(matmul64(X, transpose64(A, 2, 8), 4, 8, 2), transpose64(B, 12, 2), 4, 2, 12).map(
      (v, i) => s * v + (flavour === 'ka' ? s * b[i % 12]! : 0),
    );
    expect(maxAbsDiff(got.dataSync(), want)).toBeLessThan(1e-6);
    tf.dispose([x, y, got]);
    inst.dispose();
  });

  it('applies dropout to the input x only when training', () => {
    const inst = lora({ sites: ['attn.q'], rank: 2, dropout: 0.5 }).init(TINY_GPT2);
    inst.params.get('layers.0.attn.q.lora_B').assign(tf.ones([8, 2]));
    const x = tf.ones([1, 64, 8]);
    const y = tf.zeros([1, 64, 8]);
    const hook = inst.hooks(0).linear!['attn.q']!;
    const evalOut = hook(x, y, EVAL_CONTEXT).dataSync();
    const t1 = hook(x, y, trainingContext(7, 0)).dataSync();
    const t2 = hook(x, y, trainingContext(7, 0)).dataSync();
    expect(maxAbsDiff(t1, t2)).toBe(0); // seeded
    expect(maxAbsDiff(t1, evalOut)).toBeGreaterThan(0.01);
    // E[dropout(x)] = x: the mean of many rows approaches the eval output
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean(t1) - mean(evalOut))).toBeLessThan(0.25 * Math.abs(mean(evalOut)) + 1e-3);
    tf.dispose([x, y]);
    inst.dispose();
  });

  it('leaks no tensors: hooks under tidy, and init + dispose', () => {
    const before = tf.memory().numTensors;
    const inst = lora({ sites: ['attn.q', 'attn.v', 'ffn.out'], rank: 3, flavour: 'ka', dropout: 0.1 }).init(TINY_GPT2);
    const afterInit = tf.memory().numTensors;
    const x = tf.randomNormal([2, 5, 8]);
    const y = tf.randomNormal([2, 5, 8]);
    const mid = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const h = inst.hooks(1).linear!;
      const ctx = trainingContext(0, 1);
      return tf.add(h['attn.q']!(x, y, ctx), h['attn.v']!(x, y, ctx));
    });
    expect(tf.memory().numTensors).toBe(mid + 1);
    const ffn = tf.tidy(() => inst.hooks(0).linear!['ffn.out']!(tf.ones([1, 2, 12]), tf.zeros([1, 2, 8]), EVAL_CONTEXT));
    expect(ffn.shape).toEqual([1, 2, 8]);
    tf.dispose([x, y, out, ffn]);
    expect(tf.memory().numTensors).toBe(afterInit);
    inst.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes gradients to B and b at init; A gets none while B = 0, and does once B ≠ 0', () => {
    const inst = lora({ sites: ['attn.q', 'attn.v'] as LinearSite[], rank: 2, alpha: 4, flavour: 'ka' }).init(TINY_GPT2);
    const x = tf.tensor(values(0, 1, [4, 8]), [1, 4, 8]);
    const target = tf.tensor(values(9, 1, [4, 8]), [1, 4, 8]);
    const loss = () =>
      tf.tidy(() => {
        let total = tf.scalar(0);
        for (let l = 0; l < 2; l++) {
          const h = inst.hooks(l).linear!;
          for (const s of ['attn.q', 'attn.v'] as const) total = tf.add(total, tf.sum(tf.square(tf.sub(h[s]!(x, tf.zeros([1, 4, 8]), EVAL_CONTEXT), target))));
        }
        return total as tf.Scalar;
      });
    const { grads, value } = tf.variableGrads(loss, inst.params.variables());
    for (const [name, v] of inst.params.entries()) {
      const g = grads[v.name]!;
      const norm = tf.norm(g).dataSync()[0]!;
      if (name.endsWith('lora_A')) expect(norm, name).toBe(0);
      else expect(norm, name).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    inst.params.get('layers.0.attn.q.lora_B').assign(tf.ones([8, 2]));
    const g2 = tf.variableGrads(loss, inst.params.variables());
    expect(tf.norm(g2.grads[inst.params.get('layers.0.attn.q.lora_A').name]!).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([g2.value, ...Object.values(g2.grads), x, target]);
    inst.dispose();
  });
});
