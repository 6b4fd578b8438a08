import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { FusedKernelFunc } from '@peft/core';
import type { WebGpuBackendLike } from './program.js';

/**
 * @peft/core's `PeftReduceTotal`: Σ x² (a gradient's squared norm, for the global norm) or Σ x·0 (0 when every value is
 * finite, NaN otherwise: counted here from the values' exponent bits) of a whole tensor in one dispatch: one workgroup, a strided loop and a tree reduction in shared memory.
 * tfjs composes each from two dispatches (Square or Mul, then Sum), the Mul's 0 a scalar uploaded at each call. Meant
 * for a training step's adapter-sized tensors (one workgroup does the whole tensor).
 */
const THREADS = 256;

function reduceTotalProgram(of: 'squares' | 'zeroed'): WebGPUProgram {
  // x·0 is not computed as such: a shader compiler may fold it to 0 (llvmpipe does); a NaN or ±∞ has all exponent bits set
  const term = of === 'squares' ? 'x * x' : 'select(0.0, 1.0, (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u)';
  return {
    variableNames: ['X'],
    outputShape: [1],
    shaderKey: `peftReduceTotal_${of}`,
    workgroupSize: [THREADS, 1, 1],
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${THREADS}>;
      fn main(index : i32) {
        let tid = i32(localId.x);
        let n = uniforms.xShape;
        var acc = 0.0;
        for (var i = tid; i < n; i = i + ${THREADS}) {
          let x = X[i];
          acc = acc + ${term};
        }
        partial[tid] = acc;
        workgroupBarrier();
        for (var s = ${THREADS / 2}; s > 0; s = s >> 1u) {
          if (tid < s) { partial[tid] = partial[tid] + partial[tid + s]; }
          workgroupBarrier();
        }
        if (tid == 0) { result[0] = ${of === 'squares' ? 'partial[0]' : 'select(0.0, uniforms.NAN, partial[0] > 0.0)'}; }
      }
    `,
  } as WebGPUProgram;
}

/** inputs { x } (read flat), attrs { of } → a float32 scalar. */
export const reduceTotalKernel: FusedKernelFunc<'PeftReduceTotal'> = ({ inputs, backend, attrs }) => {
  const { x } = inputs;
  if (x.dtype !== 'float32') throw new TypeError(`@peft/webgpu PeftReduceTotal: float32 only, got ${x.dtype}`);
  if (attrs.of !== 'squares' && attrs.of !== 'zeroed') throw new RangeError(`@peft/webgpu PeftReduceTotal: of must be 'squares' or 'zeroed', got ${String(attrs.of)}`);
  const gpu = backend as unknown as WebGpuBackendLike & { runWebGPUProgram: WebGpuBackendLike['runWebGPUProgram'] };
  // read as a flat [n] array: the program's X binding is the tensor's buffer whatever its shape
  const flat = { dataId: x.dataId, shape: [tf.util.sizeFromShape(x.shape)], dtype: x.dtype } as tf.TensorInfo;
  const out = gpu.runWebGPUProgram(reduceTotalProgram(attrs.of), [flat], 'float32');
  return { dataId: out.dataId, shape: [], dtype: 'float32' } as tf.TensorInfo;
};
