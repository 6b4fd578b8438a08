import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * The parts of tfjs's `WebGPUBackend` (a public class of @tensorflow/tfjs-backend-webgpu 4.22) our kernels use:
 * `runWebGPUProgram` compiles (once per shader key) and dispatches a program on the backend's queue, binding the
 * output as `result`, each input under its variable name and the shape uniforms as `uniforms`.
 */
export interface WebGpuBackendLike {
  readonly device: { readonly limits: Record<string, number> };
  runWebGPUProgram(program: WebGPUProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: { type: string; data: number[] }[]): tf.TensorInfo;
}

const WORKGROUP = 128;

/**
 * An elementwise program over same-sized inputs: one invocation per output element, `body` computes `result[index]`
 * from the inputs (each an array named as in `variableNames`). tfjs generates the bindings and `uniforms.size`.
 */
export function elementwiseProgram(shaderKey: string, outputShape: readonly number[], variableNames: readonly string[], body: string, helpers = ''): WebGPUProgram {
  const size = tf.util.sizeFromShape(outputShape as number[]);
  return {
    variableNames: [...variableNames],
    outputShape: [...outputShape],
    shaderKey,
    size: true,
    workgroupSize: [WORKGROUP, 1, 1],
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    getUserCode: () => `
      ${helpers}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }
    `,
  } as WebGPUProgram;
}
