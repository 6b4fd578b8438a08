import * as tf from '@tensorflow/tfjs-core';
import { elementwiseProgram, type WebGpuBackendLike } from './program.js';

/**
 * `AddN` for any number of inputs. tfjs's webgpu kernel binds every input to one shader, so past the device's
 * `maxStorageBuffersPerShaderStage` (8 by default, the output counting as one) the pipeline is invalid: Dawn logs a
 * validation error and the output is left unwritten — a global gradient norm over 23 tensors came out 0, silently.
 * This kernel sums at most (limit − 1) inputs per pass, left to right, each later pass starting from the previous
 * partial sum: the additions are those of a sequential sum in input order, as the cpu backend's.
 */
export const addNKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const tensors = inputs as unknown as tf.TensorInfo[];
  const gpu = backend as unknown as WebGpuBackendLike;
  if (tensors.length === 0) throw new RangeError('AddN needs at least one input');
  const first = tensors[0]!;
  const dtype = first.dtype;
  if (tensors.length === 1) return identityOf(first, gpu);
  const perPass = Math.max(2, (gpu.device.limits.maxStorageBuffersPerShaderStage ?? 8) - 1);
  let partial: tf.TensorInfo | null = null;
  let next = 0;
  while (next < tensors.length) {
    const take = partial ? Math.min(perPass - 1, tensors.length - next) : Math.min(perPass, tensors.length - next);
    const group = [...(partial ? [partial] : []), ...tensors.slice(next, next + take)];
    next += take;
    const names = group.map((_, i) => `T${i}`);
    const sum = names.map((n) => `${n}[index]`).join(' + ');
    const program = elementwiseProgram(`peftAddN${group.length}`, first.shape, names, `result[index] = ${sum};`);
    const out = gpu.runWebGPUProgram(program, group, dtype);
    if (partial) (backend as unknown as { disposeData(id: object): void }).disposeData(partial.dataId);
    partial = out;
  }
  return partial!;
};

/** A copy (AddN of one input is that input; tfjs's kernels return a new tensor, not the same data). */
function identityOf(x: tf.TensorInfo, gpu: WebGpuBackendLike): tf.TensorInfo {
  return gpu.runWebGPUProgram(elementwiseProgram('peftCopy', x.shape, ['X'], 'result[index] = X[index];'), [x], x.dtype);
}
