/**
 * The attention blocks of the golden vectors (spec §10), built from the public API exactly as the model contract
 * orders them: QKV linear → LoRA hook on attn.q → splitHeads → supports → kernelAttention → mergeHeads → W_o →
 * afterOutput (→ RoBERTa: LN(y + X)). Weights come from the spec's sinusoidal rule.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EVAL_CONTEXT, sinusoidal, type ForwardContext, type MethodInstance, type ModelSpec } from '@peft/core';
import { kernelAttention, mergeHeads, splitHeads } from '@peft/attention-kernel';

export const GOLDEN_SPEC_GPT2: ModelSpec = { architecture: 'gpt2', numLayers: 1, hiddenSize: 8, numHeads: 2, headDim: 4, intermediateSize: 32 };
// the authors' RoBERTa code takes λ's softmax before the padding mask: a fact of the model's spec
export const GOLDEN_SPEC_ROBERTA: ModelSpec = { ...GOLDEN_SPEC_GPT2, architecture: 'roberta', causal: false, quirks: { lambdaIgnoresPaddingMask: true } };

export function sin(t: number, s: number, shape: number[]): Float32Array {
  return sinusoidal(t, s)(shape, undefined as never);
}
export function sinTensor(t: number, s: number, shape: number[]): tf.Tensor {
  return tf.tensor(sin(t, s, shape), shape);
}
/** An nn.Linear weight (out, in) of the table, transposed to the [in, out] layout y = x·W. */
export function linearKernel(t: number, s: number, out: number, inp: number): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(sinTensor(t, s, [out, inp])) as tf.Tensor2D);
}

/** The spec's input X (t = 0, s = 1), [1, 4, 8]. */
export const X = sin(0, 1, [4, 8]);

/** Assigns the inducer's parameters from (name suffix → [t, s]) using each parameter's own shape. */
export function assignSinusoidal(instance: MethodInstance, table: Record<string, [number, number]>): void {
  const values: Record<string, tf.Tensor> = {};
  for (const [name, v] of instance.params.entries()) {
    const suffix = Object.keys(table).find((k) => name.endsWith(k));
    if (!suffix) throw new Error(`no golden value for ${name}`);
    values[name] = sinTensor(table[suffix]![0], table[suffix]![1], v.shape);
  }
  instance.params.assign(values);
  tf.dispose(Object.values(values));
}

/** GPT-2 inducer parameter ids (spec §10.1). */
export const GPT2_INDUCER_IDS: Record<string, [number, number]> = {
  'inducer.key.A': [8, 0.5], 'inducer.key.b1': [9, 0.2], 'inducer.key.B': [10, 0.5], 'inducer.key.b2': [11, 0.2],
  'inducer.value.A': [12, 0.5], 'inducer.value.b1': [13, 0.2], 'inducer.value.B': [14, 0.5], 'inducer.value.b2': [15, 0.2],
};
/** GPT-2 LoRA-Q (KA LoRALinear) ids. */
export const GPT2_LORA_IDS: Record<string, [number, number]> = { 'attn.q.lora_A': [5, 0.05], 'attn.q.lora_B': [6, 0.05], 'attn.q.lora_bias': [7, 0.02] };
/** RoBERTa inducer ids (spec §10.2). */
export const ROBERTA_INDUCER_IDS: Record<string, [number, number]> = {
  'inducer.value.b1': [5, 0.2], 'inducer.value.b2': [6, 0.2], 'inducer.value.A': [7, 0.5], 'inducer.value.B': [8, 0.5],
  'inducer.key.b1': [9, 0.2], 'inducer.key.b2': [10, 0.2], 'inducer.key.A': [11, 0.5], 'inducer.key.B': [12, 0.5],
};
export const ROBERTA_LORA_IDS: Record<string, [number, number]> = { 'attn.q.lora_A': [16, 0.05], 'attn.q.lora_B': [17, 0.05] };

export interface BlockResult {
  readonly output: tf.Tensor3D;
  readonly lambda: tf.Tensor3D;
}

/** GPT2Attention.forward up to (not including) resid_dropout: c_proj(attention) + E. */
export function gpt2AttentionBlock(
  x: tf.Tensor3D,
  inducer: MethodInstance,
  lora?: MethodInstance,
  ctx: ForwardContext = EVAL_CONTEXT,
  attnDropout = 0.1,
): BlockResult {
  return tf.tidy(() => {
    const h = 2;
    const wAttn = sinTensor(1, 0.5, [8, 24]);
    const bAttn = sinTensor(2, 0.1, [24]);
    const wProj = sinTensor(3, 0.3, [8, 8]);
    const bProj = sinTensor(4, 0.1, [8]);
    const qkv = tf.add(tf.matMul(tf.reshape(x, [-1, 8]), wAttn), bAttn);
    const [q0, k, v] = tf.split(tf.reshape(qkv, [x.shape[0], x.shape[1], 24]), 3, 2);
    const q = lora?.hooks(0).linear?.['attn.q']?.(x, q0!, ctx) ?? q0!;
    const Q = splitHeads(q, h);
    const K = splitHeads(k!, h);
    const V = splitHeads(v!, h);
    const sup = inducer.hooks(0).supports!({ q: Q, k: K, v: V, queryOffset: 0, ctx });
    const { output, lambda } = kernelAttention({
      q: Q, k: K, v: V, causal: true, supports: sup,
      dropout: ctx.training ? (p) => ctx.dropout(p, attnDropout) : undefined,
    });
    const a = mergeHeads(output);
    let y = tf.reshape(tf.add(tf.matMul(tf.reshape(a, [-1, 8]), wProj), bProj), [x.shape[0], x.shape[1], 8]);
    if (sup.afterOutput) y = tf.add(y, sup.afterOutput(lambda, ctx));
    return { output: y as tf.Tensor3D, lambda: lambda! };
  });
}

/** RobertaSelfAttention + RobertaSelfOutput (eval): LN(dense(ctx) + E + X), LN weight 1, bias 0, eps 1e-5. */
export function robertaAttentionBlock(x: tf.Tensor3D, inducer: MethodInstance, lora?: MethodInstance, paddingMask?: number[]): BlockResult {
  return tf.tidy(() => {
    const ctx = EVAL_CONTEXT;
    const lin = (bT: number, wT: number, inp: tf.Tensor) => tf.reshape(tf.add(tf.matMul(tf.reshape(inp, [-1, 8]), linearKernel(wT, 0.5, 8, 8)), sinTensor(bT, 0.1, [8])), x.shape);
    const q0 = lin(15, 18, x);
    const q = lora?.hooks(0).linear?.['attn.q']?.(x, q0, ctx) ?? q0;
    const Q = splitHeads(q, 2);
    const K = splitHeads(lin(13, 14, x), 2);
    const V = splitHeads(lin(19, 20, x), 2);
    // HF's extended mask: (1 − attention_mask)·(−10000), [B, 1, 1, m]
    const mask = paddingMask ? tf.reshape(tf.mul(tf.sub(1, tf.tensor1d(paddingMask)), -10000), [1, 1, 1, paddingMask.length]) : undefined;
    const sup = inducer.hooks(0).supports!({ q: Q, k: K, v: V, queryOffset: 0, ctx });
    const { output, lambda } = kernelAttention({ q: Q, k: K, v: V, causal: false, mask, supports: sup });
    let y = lin(3, 4, mergeHeads(output));
    if (sup.afterOutput) y = tf.add(y, sup.afterOutput(lambda, ctx));
    const z = tf.add(y, x);
    const { mean, variance } = tf.moments(z, -1, true);
    return { output: tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))) as tf.Tensor3D, lambda: lambda! };
  });
}
