/**
 * A GPT-2 attention block written from /tmp/contract.md (the order in which a model calls the hooks), for driving
 * methods in tests without the model package. Weights follow spec §10.1's sinusoidal rule.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kernelAttention, mergeHeads, splitHeads } from '@peft/attention-kernel';
import { EVAL_CONTEXT, sinusoidal, type ForwardContext, type LayerHooks, type ModelSpec } from '@peft/core';

/** spec §10.1: d = 8, N_h = 2, p = 4, one layer. */
export const GOLDEN_SPEC: ModelSpec = { architecture: 'gpt2', numLayers: 1, hiddenSize: 8, numHeads: 2, headDim: 4, intermediateSize: 32 };

export function sinTensor(t: number, s: number, shape: number[]): tf.Tensor {
  return tf.tensor(sinusoidal(t, s)(shape, undefined as never), shape);
}

/** spec §10.1's input X (t = 0, s = 1), [1, 4, 8]. */
export function goldenInput(): tf.Tensor3D {
  return sinTensor(0, 1, [1, 4, 8]) as tf.Tensor3D;
}

export interface AttentionWeights {
  readonly wAttn: tf.Tensor; // [d, 3d]
  readonly bAttn: tf.Tensor; // [3d]
  readonly wO: tf.Tensor; // [d, d]
  readonly bO: tf.Tensor; // [d]
}

export function goldenAttentionWeights(): AttentionWeights {
  return { wAttn: sinTensor(1, 0.5, [8, 24]), bAttn: sinTensor(2, 0.1, [24]), wO: sinTensor(3, 0.3, [8, 8]), bO: sinTensor(4, 0.1, [8]) };
}

const linear = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
  const [B, n, d] = x.shape as [number, number, number];
  return tf.add(tf.reshape(tf.matMul(tf.reshape(x, [B * n, d]) as tf.Tensor2D, w as tf.Tensor2D), [B, n, w.shape[1]!]), b);
};

/** The attention block's output before resid_dropout, [B, n, d], and λ [B, H, n] when there is a per-query support. */
export function gpt2Attention(
  x: tf.Tensor3D,
  w: AttentionWeights,
  hooks: LayerHooks,
  spec: ModelSpec,
  ctx: ForwardContext = EVAL_CONTEXT,
): { y: tf.Tensor3D; lambda?: tf.Tensor3D } {
  return tf.tidy(() => {
    const d = spec.hiddenSize;
    const qkv = linear(x, w.wAttn, w.bAttn); // [B, n, 3d]
    let [q, k, v] = tf.split(qkv, [d, d, d], 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
    q = hooks.linear?.['attn.q']?.(x, q, ctx) ?? q;
    k = hooks.linear?.['attn.k']?.(x, k, ctx) ?? k;
    v = hooks.linear?.['attn.v']?.(x, v, ctx) ?? v;
    const Q = splitHeads(q, spec.numHeads);
    const K = splitHeads(k, spec.numHeads);
    const V = splitHeads(v, spec.numHeads);
    const sup = hooks.supports?.({ q: Q, k: K, v: V, queryOffset: 0, ctx });
    const { output, lambda } = kernelAttention({ q: Q, k: K, v: V, causal: true, ...(sup ? { supports: sup } : {}) });
    const a = mergeHeads(output);
    let y = linear(a, w.wO, w.bO);
    y = hooks.linear?.['attn.o']?.(a, y, ctx) ?? y;
    if (sup?.afterOutput) y = tf.add(y, sup.afterOutput(lambda, ctx));
    y = hooks.attnOutput?.(y, ctx) ?? y;
    return lambda ? { y: y as tf.Tensor3D, lambda } : { y: y as tf.Tensor3D };
  });
}
