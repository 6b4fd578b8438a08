import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ConfigError, EVAL_CONTEXT, modelLinearSites, attach } from '@peft/core';
import { lora } from '../src/index.js';
import { LinearSitesModel, TINY_GPT2, maxAbsDiff, values } from './helpers.js';

/** The linear sites of GPT-2 and RoBERTa: every site but a gated FFN's gate. */
const DENSE_SITES = modelLinearSites({ architecture: 'gpt2', numLayers: 1, hiddenSize: 8, numHeads: 2, headDim: 4, intermediateSize: 12 });

/** Gives every LoRA factor non-trivial values so that Δ ≠ 0. */
function randomise(params: { entries(): [string, tf.Variable][] }): void {
  let t = 20;
  for (const [, v] of params.entries()) v.assign(tf.tensor(values(t++, 0.2, v.shape), v.shape));
}

function forwardAll(model: LinearSitesModel, x: tf.Tensor, xff: tf.Tensor): Float32Array[] {
  const out: Float32Array[] = [];
  for (let l = 0; l < model.spec.numLayers; l++) {
    for (const s of DENSE_SITES) {
      const y = model.site(l, s, s === 'ffn.out' ? xff : x, EVAL_CONTEXT);
      out.push(y.dataSync() as Float32Array);
      y.dispose();
    }
  }
  return out;
}

describe('LoRA merge / unmerge', () => {
  it.each(['ka', 'loralib'] as const)('merged weights give the same outputs, and unmerge restores the base (%s)', (flavour) => {
    const model = new LinearSitesModel(TINY_GPT2);
    const x = tf.tensor(values(0, 1, [1, 4, 8]), [1, 4, 8]);
    const xff = tf.tensor(values(1, 1, [1, 4, 12]), [1, 4, 12]);
    const base = forwardAll(model, x, xff);
    const baseKernel = model.getLinearKernel(1, 'attn.v').dataSync().slice();
    const baseBias = model.getLinearBias(1, 'attn.v')!.dataSync().slice();
    const tuned = attach(model, lora({ sites: [...DENSE_SITES], rank: { 'attn.q': 2, 'attn.k': 1, 'attn.v': 3, 'attn.o': 2, 'ffn.in': 4, 'ffn.out': 2 }, alpha: 6, flavour }));
    randomise(tuned.instance.params);
    const unmerged = forwardAll(model, x, xff);
    expect(maxAbsDiff(unmerged[2]!, base[2]!)).toBeGreaterThan(0.01); // the adapter changes attn.v
    const before = tf.memory().numTensors;
    tuned.merge();
    expect(tf.memory().numTensors).toBe(before); // copies in and out are disposed: merge leaks nothing
    expect(tuned.instance.merged).toBe(true);
    const merged = forwardAll(model, x, xff);
    unmerged.forEach((u, i) => expect(maxAbsDiff(merged[i]!, u), `site ${i}`).toBeLessThan(1e-5));
    expect(() => tuned.merge()).toThrow(ConfigError);
    tuned.unmerge();
    expect(tf.memory().numTensors).toBe(before); // nor does unmerge
    expect(maxAbsDiff(model.getLinearKernel(1, 'attn.v').dataSync(), baseKernel)).toBeLessThan(1e-6);
    expect(maxAbsDiff(model.getLinearBias(1, 'attn.v')!.dataSync(), baseBias)).toBeLessThan(1e-6);
    const again = forwardAll(model, x, xff);
    unmerged.forEach((u, i) => expect(maxAbsDiff(again[i]!, u)).toBeLessThan(1e-5));
    expect(() => tuned.unmerge()).toThrow(ConfigError);
    tf.dispose([x, xff]);
    tuned.dispose();
    model.dispose();
  });

  it('merges W ← W + s·Aᵀ·Bᵀ in [in, out] layout and b ← b + s·b_lora (KA)', () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const tuned = attach(model, lora({ sites: ['ffn.in'], rank: 1, alpha: 3, flavour: 'ka' }));
    const p = tuned.instance.params;
    p.get('layers.0.ffn.in.lora_A').assign(tf.tensor2d([[1, 0, 0, 0, 0, 0, 0, 2]])); // [1, 8]
    p.get('layers.0.ffn.in.lora_B').assign(tf.tensor2d([[0], [5], ...Array(10).fill([0])])); // [12, 1]
    p.get('layers.0.ffn.in.lora_bias').assign(tf.tensor1d([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]));
    const w0 = model.getLinearKernel(0, 'ffn.in').arraySync();
    const b0 = model.getLinearBias(0, 'ffn.in')!.arraySync();
    tuned.merge();
    const w1 = model.getLinearKernel(0, 'ffn.in').arraySync();
    const b1 = model.getLinearBias(0, 'ffn.in')!.arraySync();
    // s = 3 (α/r); the only non-zero entries of Aᵀ·Bᵀ are (in 0, out 1) = 5 and (in 7, out 1) = 10
    const diff = w1.map((row, i) => row.map((v, j) => +(v - w0[i]![j]!).toFixed(5)));
    expect(diff[0]![1]).toBe(15);
    expect(diff[7]![1]).toBe(30);
    expect(diff.flat().filter((v) => v !== 0)).toHaveLength(2);
    expect(b1.map((v, i) => +(v - b0[i]!).toFixed(5))).toEqual([0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]);
    tuned.dispose();
    model.dispose();
  });
});
