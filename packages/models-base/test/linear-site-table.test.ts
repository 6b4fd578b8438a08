import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '@peft/core';
import { FrozenLinear, LinearSiteTable } from '../src/index.js';

// a fused [2, 6] map holding q | k | v (2 columns each) and a separate o [2, 2], one layer
const fusedKernel = [
  [0, 1, 2, 3, 4, 5],
  [10, 11, 12, 13, 14, 15],
];
function table(withBias = true) {
  const qkv = new FrozenLinear(tf.tensor2d(fusedKernel), withBias ? tf.tensor1d([0, 1, 2, 3, 4, 5]) : undefined, 'h.0.attn.c_attn');
  const o = new FrozenLinear(tf.tensor2d([[1, 2], [3, 4]]), undefined, 'h.0.attn.c_proj');
  const block = (i: number) => ({ linear: qkv, columns: { start: 2 * i, size: 2 } });
  const sites = new LinearSiteTable('toy', [{ 'attn.q': block(0), 'attn.k': block(1), 'attn.v': block(2), 'attn.o': o }], 'h');
  return { sites, qkv, o, dispose: () => [qkv, o].forEach((l) => l.dispose()) };
}
const read = (t: tf.Tensor | undefined) => {
  const v = t?.arraySync();
  t?.dispose();
  return v;
};

describe('LinearSiteTable', () => {
  it('reads a whole map, and a column block of a fused one', () => {
    const { sites, dispose } = table();
    expect(read(sites.getKernel(0, 'attn.o'))).toEqual([[1, 2], [3, 4]]);
    expect(read(sites.getKernel(0, 'attn.q'))).toEqual([[0, 1], [10, 11]]);
    expect(read(sites.getKernel(0, 'attn.k'))).toEqual([[2, 3], [12, 13]]);
    expect(read(sites.getKernel(0, 'attn.v'))).toEqual([[4, 5], [14, 15]]);
    expect(read(sites.getBias(0, 'attn.k'))).toEqual([2, 3]);
    expect(sites.getBias(0, 'attn.o')).toBeUndefined();
    dispose();
  });

  it('writes only the columns of its block (first, middle, last), and a copy of the argument', () => {
    const { sites, qkv, dispose } = table();
    const tensorsBefore = tf.memory().numTensors;
    for (const [i, site] of (['attn.q', 'attn.k', 'attn.v'] as const).entries()) {
      const w = tf.tensor2d([[-1 - i, -2 - i], [-3 - i, -4 - i]]);
      sites.setKernel(0, site, w);
      w.dispose(); // the table kept a copy
      const b = tf.tensor1d([100 + i, 200 + i]);
      sites.setBias(0, site, b);
      b.dispose();
    }
    expect(read(qkv.getKernel())).toEqual([
      [-1, -2, -2, -3, -3, -4],
      [-3, -4, -4, -5, -5, -6],
    ]);
    expect(read(qkv.getBias())).toEqual([100, 200, 101, 201, 102, 202]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    dispose();
  });

  it('gives a fused map without a bias one that is zero outside the block', () => {
    const { sites, qkv, dispose } = table(false);
    expect(sites.getBias(0, 'attn.k')).toBeUndefined();
    const b = tf.tensor1d([7, 8]);
    sites.setBias(0, 'attn.k', b);
    b.dispose();
    expect(read(qkv.getBias())).toEqual([0, 0, 7, 8, 0, 0]);
    dispose();
  });

  it('names a missing layer or site, and a block of the wrong shape', () => {
    const { sites, dispose } = table();
    expect(() => sites.getKernel(1, 'attn.q')).toThrow(ConfigError);
    expect(() => sites.getKernel(1, 'attn.q')).toThrow('layer: must be in [0, 1), got 1');
    expect(() => sites.getKernel(0.5, 'attn.q')).toThrow('got 0.5');
    expect(() => sites.getBias(0, 'ffn.gate')).toThrow("site: a toy model has no 'ffn.gate' site");
    const wrong = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => sites.setKernel(0, 'attn.k', wrong)).toThrow(ShapeError);
    expect(() => sites.setKernel(0, 'attn.k', wrong)).toThrow("tensor 'h.0.attn.k' has shape [2, 3], expected [2, 2]");
    const wrongBias = tf.zeros([3]) as tf.Tensor1D;
    expect(() => sites.setBias(0, 'attn.k', wrongBias)).toThrow("tensor 'h.0.attn.k.bias' has shape [3], expected [2]");
    tf.dispose([wrong, wrongBias]);
    dispose();
  });
});
