import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { FusedKernelFunc } from '@peft/core';
import { elementwiseProgram, type WebGpuBackendLike } from './program.js';

/**
 * @peft/core's `PeftAdamW`: one parameter's AdamW update as three elementwise passes (m', v', then param', which
 * recomputes m' and v' rather than reading them back). Composed from tfjs ops the update is twelve dispatches per
 * parameter, and every constant of it (β1, 1 − β1, the step size …) a scalar tensor uploaded anew at each step; here
 * the constants travel in the passes' uniforms, and the gradient's clipping coefficient (`scale`) and the skip flag
 * (`gate`) stay on the device as scalar inputs. The operations are the composed path's, in its order.
 */
type Part = 'm' | 'v' | 'param';

/** What each pass reads (a binding the shader does not use is left out of its layout, so it is not bound). */
const PART_INPUTS: Record<Part, readonly string[]> = { m: ['M', 'G'], v: ['V', 'G'], param: ['P', 'M', 'V', 'G'] };

const UNIFORMS = 'beta1 : f32, omb1 : f32, beta2 : f32, omb2 : f32, eps : f32, stepSize : f32, decay : f32,';

function adamwProgram(part: Part, shape: readonly number[], hasScale: boolean, hasGate: boolean): WebGPUProgram {
  const names = [...PART_INPUTS[part], ...(hasScale ? ['S'] : []), ...(hasGate ? ['K'] : [])];
  const newM = 'M[index] * uniforms.beta1 + g * uniforms.omb1';
  const newV = 'V[index] * uniforms.beta2 + (g * g) * uniforms.omb2';
  const value = {
    m: `let out = ${newM};`,
    v: `let out = ${newV};`,
    param: `
      let m = ${newM};
      let v = ${newV};
      var out = P[index] - (m / (sqrt(v) + uniforms.eps)) * uniforms.stepSize;
      if (uniforms.decay > 0.0) { out = out - out * uniforms.decay; }`,
  }[part];
  const old = { m: 'M[index]', v: 'V[index]', param: 'P[index]' }[part];
  const body = `
    let g = ${hasScale ? 'G[index] * f32(S[0])' : 'G[index]'};
    ${value}
    result[index] = ${hasGate ? `select(out, ${old}, f32(K[0]) == 0.0)` : 'out'};`;
  return { ...elementwiseProgram(`peftAdamW_${part}_${hasScale ? 's' : ''}${hasGate ? 'k' : ''}`, shape, names, body), uniforms: UNIFORMS } as WebGPUProgram;
}

/** inputs { param, m, v, grad, scale?, gate? }, attrs { beta1, beta2, eps, stepSize, decay } → [m', v', param']. */
export const adamwKernel: FusedKernelFunc<'PeftAdamW'> = ({ inputs, backend, attrs }) => {
  const { param, m, v, grad, scale, gate } = inputs;
  const n = tf.util.sizeFromShape(param.shape);
  for (const [name, t] of [['m', m], ['v', v], ['grad', grad]] as const) {
    if (t.dtype !== 'float32' || tf.util.sizeFromShape(t.shape) !== n) {
      throw new TypeError(`@peft/webgpu PeftAdamW: ${name} must be float32 of param's shape [${param.shape}], got ${t.dtype} [${t.shape}]`);
    }
  }
  for (const [name, t] of [['scale', scale], ['gate', gate]] as const) {
    if (t && (t.dtype !== 'float32' || tf.util.sizeFromShape(t.shape) !== 1)) throw new TypeError(`@peft/webgpu PeftAdamW: ${name} must be a float32 scalar, got ${t.dtype} [${t.shape}]`);
  }
  const { beta1, beta2, eps, stepSize, decay } = attrs;
  const uniforms = [beta1, 1 - beta1, beta2, 1 - beta2, eps, stepSize, decay].map((x) => ({ type: 'float32', data: [x] }));
  const byName: Record<string, tf.TensorInfo> = { P: param, M: m, V: v, G: grad };
  const extra = [...(scale ? [scale] : []), ...(gate ? [gate] : [])];
  const gpu = backend as unknown as WebGpuBackendLike;
  return (['m', 'v', 'param'] as const).map((part) =>
    gpu.runWebGPUProgram(adamwProgram(part, param.shape, !!scale, !!gate), [...PART_INPUTS[part].map((k) => byName[k]!), ...extra], 'float32', uniforms),
  );
};
