import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import type { FusedKernelFunc } from '@peft/core';
import { elementwiseProgram, type WebGpuBackendLike } from './program.js';

/**
 * @peft/core's `PeftDropoutMask`: the mask floor(randomUniform(shape, 0, 1, 'float32', seed) + keep)·(1/keep) of
 * tfjs, bit for bit. Composed from tfjs ops on this backend, the uniform values are drawn on the CPU (tfjs's
 * seeded randomUniform is alea, in JavaScript) and uploaded as float32, then Add, Floor and Mul run with keep and
 * 1/keep each uploaded as a scalar. Here the same alea draws are thresholded on the CPU as tfjs's Add and Floor
 * would (0 or 1: the float32 sum u + keep is below 2) and uploaded as one BIT per value, 32 times fewer bytes, and
 * one pass writes 0 or 1/keep.
 */
interface BackendWithData extends WebGpuBackendLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

/** attrs { shape, seed, rate } → float32 0 or 1/(1 − rate), as tfjs's composed mask. */
export const dropoutMaskKernel: FusedKernelFunc<'PeftDropoutMask'> = ({ backend, attrs }) => {
  const { shape, seed, rate } = attrs;
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`@peft/webgpu PeftDropoutMask: rate must be in [0, 1), got ${rate}`);
  const gpu = backend as unknown as BackendWithData;
  const n = tf.util.sizeFromShape(shape);
  if (n === 0) return gpu.makeTensorInfo([...shape], 'float32', new Float32Array(0));
  const keep = Math.fround(1 - rate); // the float32 scalars tfjs's tensors hold
  const invKeep = Math.fround(1 / (1 - rate));
  const random = seedrandom.alea(String(seed)); // tfjs's UniformRandom: alea(seed.toString()), min 0, range 1
  const words = new Int32Array(Math.ceil(n / 32));
  for (let i = 0; i < n; i++) {
    const u = Math.fround(random());
    if (Math.fround(u + keep) >= 1) words[i >> 5]! |= 1 << (i & 31);
  }
  const bits = gpu.makeTensorInfo([words.length], 'int32', words);
  const body = `result[index] = select(0.0, uniforms.invKeep, ((BITS[index >> 5u] >> u32(index & 31)) & 1) != 0);`;
  const program = { ...elementwiseProgram('peftDropoutMask', shape, ['BITS'], body), uniforms: 'invKeep : f32,' };
  const out = gpu.runWebGPUProgram(program as never, [bits], 'float32', [{ type: 'float32', data: [invKeep] }]);
  gpu.disposeData(bits.dataId);
  return out;
};
