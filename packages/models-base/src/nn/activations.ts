import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, hasFusedKernel, runFusedKernel } from '@peft/core';
import { customOp } from './tidy.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * GPT-2's `gelu_new`, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). x³ as x·x·x (fast on
 * wasm). Fused under a custom gradient that keeps only x for the backward pass — the composed form keeps about six
 * [N, 3072] intermediates per layer on the tape — and recomputes
 *   d/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²),   t = tanh(√(2/π)·(x + 0.044715·x³)).
 * Where the active backend has the fused kernels of @peft/core's contract (registered by an accelerator such as
 * @peft/blas), each direction is one kernel call instead of about ten elementwise passes.
 */
export const geluTanh = customOp(([x], save) => {
  save([x!]);
  return {
    value: x!.dtype === 'float32' && hasFusedKernel(FusedKernelNames.geluTanh)
      ? runFusedKernel(FusedKernelNames.geluTanh, { x: x! })
      : geluTanhValue(x!),
    gradFunc: (dy, [xs]) =>
      xs!.dtype === 'float32' && hasFusedKernel(FusedKernelNames.geluTanhGrad)
        ? runFusedKernel(FusedKernelNames.geluTanhGrad, { x: xs!, dy })
        : geluTanhGrad(xs!, dy),
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** dy·d/dx gelu_new(x), composed from tfjs ops. */
function geluTanhGrad(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const x2 = tf.mul(x, x);
    const t = tf.tanh(tf.mul(tf.mul(x, tf.add(tf.mul(x2, 0.044715), 1)), SQRT_2_OVER_PI));
    const dInner = tf.mul(tf.add(tf.mul(x2, 3 * 0.044715), 1), SQRT_2_OVER_PI);
    const d = tf.add(tf.mul(tf.add(t, 1), 0.5), tf.mul(tf.mul(tf.mul(x, 0.5), tf.sub(1, tf.mul(t, t))), dInner));
    return tf.mul(dy, d);
  });
}

/** The composed tanh-GELU, without a custom gradient (the reference the fused one is tested against). */
export function geluTanhValue(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const cube = tf.mul(tf.mul(x, x), x);
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/**
 * The exact GELU (RoBERTa's `gelu`): 0.5·x·(1 + erf(x/√2)), fused like {@link geluTanh} (one kernel each way where
 * the backend has @peft/core's `PeftGeluErf` / `PeftGeluErfGrad`):
 *   d/dx = 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π).
 */
export const geluErf = customOp(([x], save) => {
  save([x!]);
  return {
    value: x!.dtype === 'float32' && hasFusedKernel(FusedKernelNames.geluErf)
      ? runFusedKernel(FusedKernelNames.geluErf, { x: x! })
      : geluErfValue(x!),
    gradFunc: (dy, [xs]) =>
      xs!.dtype === 'float32' && hasFusedKernel(FusedKernelNames.geluErfGrad)
        ? runFusedKernel(FusedKernelNames.geluErfGrad, { x: xs!, dy })
        : tf.tidy(() => {
            const cdf = tf.mul(tf.add(tf.erf(tf.mul(xs!, Math.SQRT1_2)), 1), 0.5);
            const pdf = tf.mul(tf.exp(tf.mul(tf.mul(xs!, xs!), -0.5)), INV_SQRT_2PI);
            return tf.mul(dy, tf.add(cdf, tf.mul(xs!, pdf)));
          }),
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** The composed exact GELU, without a custom gradient. */
export function geluErfValue(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/**
 * SiLU (swish, Llama's `hidden_act: silu`): x·σ(x), under a custom gradient that keeps only x and recomputes
 *   d/dx = σ(x)·(1 + x·(1 − σ(x))).
 */
export const silu = customOp(([x], save) => {
  save([x!]);
  return {
    value: tf.mul(x!, tf.sigmoid(x!)),
    gradFunc: (dy, [xs]) =>
      tf.tidy(() => {
        const s = tf.sigmoid(xs!);
        return tf.mul(dy, tf.mul(s, tf.add(tf.mul(xs!, tf.sub(1, s)), 1)));
      }),
  };
}) as (x: tf.Tensor) => tf.Tensor;

export type Activation = (x: tf.Tensor) => tf.Tensor;

/**
 * SwiGLU's gated product silu(gate)·up (Llama's FFN), under one custom gradient that keeps only gate and up and
 * recomputes σ(gate) in the backward pass:
 *   d up = dy·silu(gate),   d gate = dy·up·σ(gate)·(1 + gate·(1 − σ(gate))).
 * Composed (`tf.mul(silu(gate), up)`), the tape keeps gate for silu and both factors for the product: one [N, d_ff]
 * tensor more a layer (12.6 MB at SmolLM2's B 8 × T 256), and one more elementwise pass in the backward.
 */
export const swiGlu = customOp(([gate, up], save) => {
  save([gate!, up!]);
  return {
    value: tf.tidy(() => tf.mul(tf.mul(gate!, tf.sigmoid(gate!)), up!)),
    gradFunc: (dy, [g, u]) =>
      tf.tidy(() => {
        const s = tf.sigmoid(g!);
        const dUp = tf.mul(dy, tf.mul(g!, s));
        const dGate = tf.mul(tf.mul(dy, u!), tf.mul(s, tf.add(tf.mul(g!, tf.sub(1, s)), 1)));
        return [dGate, dUp];
      }),
  };
}) as (gate: tf.Tensor, up: tf.Tensor) => tf.Tensor;

/** A gated FFN's act(gate)·up: the fused {@link swiGlu} for SiLU, the composed product for any other activation. */
export function gatedProduct(activation: Activation, gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return activation === silu ? swiGlu(gate, up) : tf.mul(activation(gate), up);
}

/** The activations a Hugging Face config may name that this package implements. */
export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  gelu: geluErf,
  silu,
};
