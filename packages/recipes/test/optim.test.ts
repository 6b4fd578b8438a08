import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  AdamW, clipByGlobalNorm, clipByGlobalNormOnDevice, decaysByHfRule, ignitePiecewiseWithWarmup, NLU_ADAMW, nluWarmupSteps, polynomialWithWarmup,
  shiftedLmLoss, shiftedLmNllSum,
} from '../src/index.js';

/** Hugging Face AdamW (4.10) for one scalar parameter, in float64: the independent formulation. */
function refAdamW(p0: number, grads: number[], lrs: number[], b1: number, b2: number, eps: number, wd: number): number {
  let p = p0, m = 0, v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const step = (lrs[i]! * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    p = p - (step * m) / (Math.sqrt(v) + eps);
    p = p - lrs[i]! * wd * p;
  });
  return p;
}

describe('AdamW', () => {
  it('matches the float64 Hugging Face formula over 5 steps, with decay only where the rule allows', () => {
    const w = tf.variable(tf.tensor1d([0.5, -1.2, 2]), true, 'w_opt_test');
    const bias = tf.variable(tf.tensor1d([0.3]), true, 'b_opt_test');
    const opt = new AdamW([['layers.0.mlp.weight', w], ['layers.0.mlp.bias', bias]], NLU_ADAMW);
    const gw = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [1, 1, 1], [-0.3, 0.2, 0.0], [0.01, -0.02, 0.5]];
    const gb = [[0.2], [-0.1], [0.3], [0.0], [1.5]];
    const lrs = [1e-2, 2e-2, 3e-2, 2e-2, 1e-2];
    const before = tf.memory().numTensors;
    for (let s = 0; s < 5; s++) {
      const g = [tf.tensor1d(gw[s]!), tf.tensor1d(gb[s]!)];
      opt.apply(g, lrs[s]!);
      tf.dispose(g);
    }
    expect(tf.memory().numTensors).toBe(before);
    const got = w.dataSync();
    [0.5, -1.2, 2].forEach((p0, j) => {
      const want = refAdamW(p0, gw.map((g) => g[j]!), lrs, 0.9, 0.98, 1e-6, 0.1);
      expect(Math.abs(got[j]! - want)).toBeLessThan(2e-6);
    });
    const wantB = refAdamW(0.3, gb.map((g) => g[0]!), lrs, 0.9, 0.98, 1e-6, 0); // 'bias' → no weight decay
    expect(Math.abs(bias.dataSync()[0]! - wantB)).toBeLessThan(2e-6);
    expect(opt.step).toBe(5);
    opt.dispose();
    tf.dispose([w, bias]);
  });

  it('the first update with lr 0 moves nothing but still updates the moments (ignite warm-up step 0)', () => {
    const w = tf.variable(tf.tensor1d([1]), true, 'w_opt_zero');
    const opt = new AdamW([['x', w]], { beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0 });
    const g = tf.tensor1d([2]);
    opt.apply([g], 0);
    expect(w.dataSync()[0]).toBe(1);
    expect(opt.m[0]!.dataSync()[0]).toBeCloseTo(0.2, 6);
    expect(opt.v[0]!.dataSync()[0]).toBeCloseTo(0.004, 7);
    tf.dispose([g, w]);
    opt.dispose();
  });

  it('HF weight-decay rule: no decay for biases and LayerNorm weights', () => {
    expect(decaysByHfRule('layers.3.inducer.W1')).toBe(true);
    expect(decaysByHfRule('layers.3.lora.A_bias')).toBe(false);
    expect(decaysByHfRule('encoder.layer.0.output.LayerNorm.weight')).toBe(false);
    expect(decaysByHfRule('h.0.ln_1.weight')).toBe(false);
    expect(decaysByHfRule('adapter.layer_norm.weight')).toBe(false);
    expect(decaysByHfRule('layers.1.lnx_down')).toBe(true);
    // the inducer's b1/b2 are KA's A_bias/B_bias: no decay; its A/B matrices decay
    expect(decaysByHfRule('inducer0.layers.0.inducer.value.b2')).toBe(false);
    expect(decaysByHfRule('inducer0.layers.0.inducer.key.b1')).toBe(false);
    expect(decaysByHfRule('inducer0.layers.0.inducer.key.B')).toBe(true);
    expect(decaysByHfRule('lora1.layers.0.attn.q.lora_B')).toBe(true);
    expect(decaysByHfRule('adapter2.layers.0.ffn_parallel.up.bias')).toBe(false);
  });
});

describe('schedules', () => {
  it('NLG: ignite warm-up lr·k/499 for k < 499, then lr·(1 − (k−499)/T)', () => {
    const lr = 1.25e-3;
    const s = ignitePiecewiseWithWarmup(lr, 1000);
    expect(s(0)).toBe(0);
    expect(s(1)).toBeCloseTo(lr / 499, 15);
    expect(s(498)).toBeCloseTo((lr * 498) / 499, 15);
    expect(s(499)).toBe(lr);
    expect(s(500)).toBeCloseTo(lr * (1 - 1 / 1000), 15);
    expect(s(999)).toBeCloseTo(lr * (1 - 500 / 1000), 15); // never reaches 0 within T steps
  });
  it('NLU: linear warm-up over ceil(0.06·T), then power-1 decay to 1e-7', () => {
    expect(nluWarmupSteps(100)).toBe(6);
    expect(nluWarmupSteps(1001)).toBe(61);
    const lr = 2e-4;
    const s = polynomialWithWarmup(lr, 100, 6);
    expect(s(0)).toBe(0);
    expect(s(3)).toBeCloseTo(lr / 2, 15);
    expect(s(6)).toBeCloseTo(lr, 15);
    expect(s(53)).toBeCloseTo((lr - 1e-7) * 0.5 + 1e-7, 15);
    expect(s(100)).toBeCloseTo(1e-7, 15);
    expect(s(150)).toBe(1e-7);
  });
});

describe('clipping and losses', () => {
  it('clips by global norm as torch does (coef = max/(norm+1e-6), only when < 1)', async () => {
    const g = [tf.tensor1d([3]), tf.tensor1d([0, 4])];
    const { grads, norm } = await clipByGlobalNorm(g, 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(grads[1]!.dataSync()[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    const small = await clipByGlobalNorm(g, 10);
    expect(small.grads[0]!.dataSync()[0]).toBe(3);
    tf.dispose([...g, ...grads, ...small.grads]);
  });

  it('clips on the device as clipByGlobalNorm does, the norm left as a tensor (no readback)', async () => {
    const g = [tf.tensor1d([3]), tf.tensor1d([0, 4])];
    const before = tf.memory().numTensors;
    const clipped = clipByGlobalNormOnDevice(g, 1);
    expect(tf.memory().numTensors).toBe(before + 3); // two gradients and the norm: nothing else kept
    expect(clipped.norm.shape).toEqual([]);
    expect((await clipped.norm.data())[0]).toBeCloseTo(5, 6);
    const host = await clipByGlobalNorm(g, 1);
    for (let k = 0; k < g.length; k++) {
      const [a, b] = [await clipped.grads[k]!.data(), await host.grads[k]!.data()];
      a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 6));
    }
    expect((await clipped.grads[1]!.data())[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    // not clipped: the very same values (multiplied by exactly 1)
    const small = clipByGlobalNormOnDevice(g, 10);
    expect(Array.from(await small.grads[1]!.data())).toEqual([0, 4]);
    expect(Array.from(await small.grads[0]!.data())).toEqual([3]);
    tf.dispose([...g, ...clipped.grads, clipped.norm, ...host.grads, ...small.grads, small.norm]);
  });

  it('shifted LM loss with label smoothing equals the per-position formula; −100 skipped', async () => {
    const V = 4;
    const logitsArr = Array.from({ length: 2 * 3 * V }, (_, i) => Math.sin(i * 1.3) * 2);
    const labelsArr = [-100, 2, 1, -100, 3, -100];
    const logits = tf.tensor3d(logitsArr, [2, 3, V]);
    const labels = tf.tensor2d(labelsArr, [2, 3], 'int32');
    // by hand: positions (b, t) with label at t+1: (0,0)→2, (0,1)→1, (1,0)→3
    const eps = 0.1;
    let sum = 0, nll = 0;
    for (const [b, t, y] of [[0, 0, 2], [0, 1, 1], [1, 0, 3]] as const) {
      const row = logitsArr.slice((b * 3 + t) * V, (b * 3 + t + 1) * V);
      const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
      const logp = row.map((x) => x - lse);
      sum += (1 - eps) * -logp[y]! + eps * -(logp.reduce((a, x) => a + x, 0) / V);
      nll += -logp[y]!;
    }
    const l = shiftedLmLoss(logits, labels, eps);
    expect(l.dataSync()[0]).toBeCloseTo(sum / 3, 5);
    const p = await shiftedLmNllSum(logits, labels);
    expect(p.count).toBe(3);
    expect(p.nllSum).toBeCloseTo(nll, 4);
    tf.dispose([logits, labels, l]);
  });
});
