import * as tf from '@tensorflow/tfjs-core';
import '@peft/core'; // registers tfjs-core's gradients
import { describe, expect, it } from 'vitest';
import { EVAL_CONTEXT, type LayerHooks } from '@peft/core';
import { ACTIVATIONS, FrozenLinear, runLayer, type LayerShape, type LayerWeights, type Norm, type RotateQueryKey } from '@peft/models-base';

// The shared layer runner on the features GPT-2 and RoBERTa do not have (their whole-model reference tests cover
// the rest): grouped-query attention, a gated FFN, a rotation of queries and new keys before the cache.

const B = 2;
const N = 5;
const D = 12;
const H = 4;
const P = 3;
const FF = 8;

function det(shape: number[], salt: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => tf.reshape(tf.mul(tf.sin(tf.add(tf.mul(tf.range(0, size, 1, 'float32'), 0.37 + salt * 0.11), salt)), 0.5), shape));
}
const lin = (i: number, o: number, salt: number, name: string) =>
  new FrozenLinear(det([i, o], salt) as tf.Tensor2D, det([o], salt + 0.5) as tf.Tensor1D, name);
const identity: Norm = { apply: (x) => x };
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** W [d, H_kv·p] → [d, H·p], query head j reading key/value head ⌊j / (H/H_kv)⌋. */
function repeatColumns(w: FrozenLinear, kvHeads: number, name: string): FrozenLinear {
  const [kernel, bias] = tf.tidy(() => {
    const k = w.getKernel();
    const b = w.getBias()!;
    const g = H / kvHeads;
    const kCols: tf.Tensor[] = [];
    const bCols: tf.Tensor[] = [];
    for (let j = 0; j < H; j++) {
      const s = Math.floor(j / g) * P;
      kCols.push(tf.slice(k, [0, s], [D, P]));
      bCols.push(tf.slice(b, [s], [P]));
    }
    return [tf.concat(kCols, 1) as tf.Tensor2D, tf.concat(bCols) as tf.Tensor1D] as const;
  });
  return new FrozenLinear(kernel, bias, name);
}

const shape = (kv: number, gated = false): LayerShape => ({
  placement: 'pre-norm',
  numHeads: H,
  numKeyValueHeads: kv,
  headDim: P,
  causal: true,
  activation: gated ? (x) => tf.mul(x, tf.sigmoid(x)) : ACTIVATIONS.gelu_new!,
  attentionDropout: 0,
  residualDropout: 0,
});

/** A position-dependent "rotation" (a scaling by 1 + 0.1·position): cached decoding matches only if it runs on the new keys before the concat. */
const rotate: RotateQueryKey = (queries, keys, offset) => {
  const n = queries.shape[2];
  const f = tf.reshape(tf.add(tf.mul(tf.range(offset, offset + n, 1, 'float32'), 0.1), 1), [1, 1, n, 1]);
  return { queries: tf.mul(queries, f), keys: tf.mul(keys, f) };
};

describe('runLayer', () => {
  const kv = 2;
  const q = lin(D, H * P, 1, 'q');
  const k = lin(D, kv * P, 2, 'k');
  const v = lin(D, kv * P, 3, 'v');
  const o = lin(H * P, D, 4, 'o');
  const ffn = { in: lin(D, FF, 5, 'in'), out: lin(FF, D, 6, 'out') };
  const gqa: LayerWeights = { attnNorm: identity, qkv: { q, k, v }, o, ffnNorm: identity, ffn };
  const kFull = repeatColumns(k, kv, 'k_full');
  const vFull = repeatColumns(v, kv, 'v_full');
  const mha: LayerWeights = { attnNorm: identity, qkv: { q, k: kFull, v: vFull }, o, ffnNorm: identity, ffn };
  const h = det([B, N, D], 7) as tf.Tensor3D;

  it('grouped-query attention equals multi-head attention with each key/value head repeated, and caches H_kv heads', () => {
    tf.tidy(() => {
      const a = runLayer(gqa, shape(kv), {}, h, { ctx: EVAL_CONTEXT, rotate });
      const b = runLayer(mha, shape(H), {}, h, { ctx: EVAL_CONTEXT, rotate });
      expect(a.present.k.shape).toEqual([B, kv, N, P]);
      expect(b.present.k.shape).toEqual([B, H, N, P]);
      expect(maxDiff(a.h, b.h)).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(a.h)).dataSync()[0]!).toBeGreaterThan(0.1);
    });
  });

  it('rotates the new keys before the cache: two cached steps equal one full pass', () => {
    tf.tidy(() => {
      const full = runLayer(gqa, shape(kv), {}, h, { ctx: EVAL_CONTEXT, rotate });
      const first = runLayer(gqa, shape(kv), {}, tf.slice(h, [0, 0, 0], [B, 3, D]) as tf.Tensor3D, { ctx: EVAL_CONTEXT, rotate });
      const second = runLayer(gqa, shape(kv), {}, tf.slice(h, [0, 3, 0], [B, 2, D]) as tf.Tensor3D, {
        ctx: EVAL_CONTEXT,
        rotate,
        past: first.present,
      });
      expect(second.present.k.shape).toEqual([B, kv, N, P]);
      expect(maxDiff(tf.concat([first.h, second.h], 1), full.h)).toBeLessThan(1e-5);
      const noRotation = runLayer(gqa, shape(kv), {}, h, { ctx: EVAL_CONTEXT });
      expect(maxDiff(noRotation.h, full.h)).toBeGreaterThan(1e-3);
    });
  });

  it('gives attn.supports H-head keys, and repeats shared supports given with H_kv heads', () => {
    tf.tidy(() => {
      const seen: number[][] = [];
      const pk = det([kv, 2, P], 8);
      const pv = det([kv, 2, P], 9);
      const withKv: LayerHooks = {
        supports: (s) => {
          seen.push(s.k.shape, s.q.shape);
          return { shared: { keys: pk, values: pv } };
        },
      };
      const r = (t: tf.Tensor) => tf.reshape(tf.tile(tf.expandDims(t, 1), [1, H / kv, 1, 1]), [H, 2, P]);
      const withH: LayerHooks = { supports: () => ({ shared: { keys: r(pk), values: r(pv) } }) };
      const a = runLayer(gqa, shape(kv), withKv, h, { ctx: EVAL_CONTEXT });
      const b = runLayer(gqa, shape(kv), withH, h, { ctx: EVAL_CONTEXT });
      const plain = runLayer(gqa, shape(kv), {}, h, { ctx: EVAL_CONTEXT });
      expect(seen).toEqual([
        [B, H, N, P],
        [B, H, N, P],
      ]);
      expect(maxDiff(a.h, b.h)).toBeLessThan(1e-6);
      expect(maxDiff(a.h, plain.h)).toBeGreaterThan(1e-3);
    });
  });

  it('a gated FFN computes out(act(gate(x)) ∘ in(x)) and calls ffn.gate, ffn.in, ffn.act, ffn.out in order', () => {
    tf.tidy(() => {
      const gate = lin(D, FF, 10, 'gate');
      const w: LayerWeights = { ...gqa, ffn: { ...ffn, gate } };
      const calls: string[] = [];
      const tap = (site: string) => (_x: tf.Tensor, y: tf.Tensor) => (calls.push(site), y);
      const hooks: LayerHooks = {
        linear: { 'ffn.gate': tap('ffn.gate'), 'ffn.in': tap('ffn.in'), 'ffn.out': tap('ffn.out') },
        ffnActivation: (g) => (calls.push('ffn.act'), g),
      };
      const s = shape(kv, true);
      const out = runLayer(w, s, hooks, h, { ctx: EVAL_CONTEXT });
      const attnOnly = runLayer({ ...w, ffn: { ...ffn, gate } }, s, { ffnOutput: (z) => tf.zerosLike(z) }, h, { ctx: EVAL_CONTEXT });
      const x2 = attnOnly.h; // identity norms: the FFN's input is the hidden state after attention
      const want = tf.add(x2, ffn.out.apply(tf.mul(s.activation(gate.apply(x2)), ffn.in.apply(x2))));
      expect(calls).toEqual(['ffn.gate', 'ffn.in', 'ffn.act', 'ffn.out']);
      expect(maxDiff(out.h, want)).toBeLessThan(1e-5);
      gate.dispose();
    });
  });
});
