import * as tf from '@tensorflow/tfjs-core';
import type { FusedKernelFunc } from '@peft/core';
import { elementwiseProgram, type WebGpuBackendLike } from './program.js';

/**
 * @peft/core's fused kernels `PeftGeluTanh` and `PeftGeluTanhGrad` (GPT-2's `gelu_new` and dy times its derivative)
 * in one pass each. Composed from tfjs ops, each direction is about ten elementwise dispatches, every one reading and
 * writing the whole [B·T, 4d] activation; fused, the activation is read once and written once.
 *
 * tanh is tfjs's own WGSL formula (sign(u)·(1 − e^(−2|u|))/(1 + e^(−2|u|)), finite for every u), so the fused value
 * and the composed one on this backend differ only by the order of a few float32 operations.
 */
const HELPERS = `
  const SQRT_2_OVER_PI : f32 = 0.7978845608028654;
  const GELU_C : f32 = 0.044715;
  fn peftTanh(u : f32) -> f32 {
    let e2u = exp(-2.0 * abs(u));
    return sign(u) * (1.0 - e2u) / (1.0 + e2u);
  }
`;

function checkFloat(name: string, ...ts: tf.TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new TypeError(`@peft/webgpu ${name}: float32 tensors only, got ${t.dtype}`);
}

/** inputs { x } → 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export const geluTanhKernel: FusedKernelFunc<'PeftGeluTanh'> = ({ inputs, backend }) => {
  const { x } = inputs;
  checkFloat('PeftGeluTanh', x);
  const body = `
    let x = X[index];
    let t = peftTanh((x + (x * x * x) * GELU_C) * SQRT_2_OVER_PI);
    result[index] = (x * 0.5) * (t + 1.0);`;
  return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(elementwiseProgram('peftGeluTanh', x.shape, ['X'], body, HELPERS), [x], 'float32');
};

/** inputs { x, dy } (same shape) → dy·(0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)). */
export const geluTanhGradKernel: FusedKernelFunc<'PeftGeluTanhGrad'> = ({ inputs, backend }) => {
  const { x, dy } = inputs;
  checkFloat('PeftGeluTanhGrad', x, dy);
  if (tf.util.sizeFromShape(x.shape) !== tf.util.sizeFromShape(dy.shape)) {
    throw new RangeError(`@peft/webgpu PeftGeluTanhGrad: dy has shape [${dy.shape}], x has [${x.shape}]`);
  }
  const body = `
    let x = X[index];
    let x2 = x * x;
    let t = peftTanh((x * (x2 * GELU_C + 1.0)) * SQRT_2_OVER_PI);
    let inner = (x2 * (3.0 * GELU_C) + 1.0) * SQRT_2_OVER_PI;
    result[index] = DY[index] * ((t + 1.0) * 0.5 + ((x * 0.5) * (1.0 - t * t)) * inner);`;
  return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(
    elementwiseProgram('peftGeluTanhGrad', x.shape, ['X', 'DY'], body, HELPERS),
    [x, dy],
    'float32',
  );
};
