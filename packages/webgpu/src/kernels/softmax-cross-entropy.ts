import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { FusedKernelFunc } from '@peft/core';
import { elementwiseProgram, type WebGpuBackendLike } from './program.js';

/**
 * @peft/core's `PeftSoftmaxCrossEntropy` and `PeftSoftmaxCrossEntropyGrad`: the LM loss's work on each [r, V] chunk of
 * logits (V = 50,257 for GPT-2). Composed from tfjs ops the forward is logSumExp (max, subtract, exp, sum, log, add),
 * a gather and a mean, and the gradient exp, subtract, oneHot, multiply, add, subtract and multiply again: about a
 * dozen dispatches, each a pass over the whole chunk (the "Sub/Exp/Multiply a[128,50257]" rows of
 * scripts/bench/webgpu-kernels.mjs). Fused, the forward is one workgroup per row reading the row twice, the gradient
 * one elementwise pass.
 */
const ROW_THREADS = 256;

function check(name: string, logits: tf.TensorInfo, labels: tf.TensorInfo, extra: tf.TensorInfo[] = []): void {
  if (logits.dtype !== 'float32' || logits.shape.length !== 2) throw new TypeError(`@peft/webgpu ${name}: logits must be float32 [r, V], got ${logits.dtype} [${logits.shape}]`);
  if (labels.dtype !== 'int32' || labels.shape.length !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new TypeError(`@peft/webgpu ${name}: labels must be int32 [${logits.shape[0]}], got ${labels.dtype} [${labels.shape}]`);
  }
  for (const t of extra) {
    if (t.dtype !== 'float32' || t.shape.length !== 1 || t.shape[0] !== logits.shape[0]) throw new TypeError(`@peft/webgpu ${name}: expected float32 [${logits.shape[0]}], got ${t.dtype} [${t.shape}]`);
  }
}

function smoothing(attrs: { labelSmoothing?: number } | undefined): number {
  const eps = attrs?.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new RangeError(`@peft/webgpu: labelSmoothing must be in [0, 1), got ${eps}`);
  return eps;
}

/** One workgroup per row: max, then Σ exp(z − max) and Σ z, each a strided loop and a tree reduction in shared memory. */
function rowStatsProgram(rows: number): WebGPUProgram {
  return {
    variableNames: ['Z', 'Y'],
    outputShape: [rows, 2],
    shaderKey: 'peftSoftmaxCrossEntropy',
    uniforms: 'eps : f32,',
    workgroupSize: [ROW_THREADS, 1, 1],
    dispatchLayout: { x: [0] },
    dispatch: [rows, 1, 1],
    getUserCode: () => `
      var<workgroup> redA : array<f32, ${ROW_THREADS}>;
      var<workgroup> redB : array<f32, ${ROW_THREADS}>;
      fn main(index : i32) {
        let row = i32(workgroupId.x);
        let tid = i32(localId.x);
        let V = uniforms.zShape.y;
        let base = row * V;
        var m = -uniforms.INFINITY;
        for (var j = tid; j < V; j = j + ${ROW_THREADS}) { m = max(m, Z[base + j]); }
        redA[tid] = m;
        workgroupBarrier();
        for (var s = ${ROW_THREADS / 2}; s > 0; s = s >> 1u) {
          if (tid < s) { redA[tid] = max(redA[tid], redA[tid + s]); }
          workgroupBarrier();
        }
        let rowMax = redA[0];
        workgroupBarrier();
        var e = 0.0;
        var z = 0.0;
        for (var j = tid; j < V; j = j + ${ROW_THREADS}) {
          let v = Z[base + j];
          e = e + exp(v - rowMax);
          z = z + v;
        }
        redA[tid] = e;
        redB[tid] = z;
        workgroupBarrier();
        for (var s = ${ROW_THREADS / 2}; s > 0; s = s >> 1u) {
          if (tid < s) {
            redA[tid] = redA[tid] + redA[tid + s];
            redB[tid] = redB[tid] + redB[tid + s];
          }
          workgroupBarrier();
        }
        if (tid == 0) {
          let lse = rowMax + log(redA[0]);
          let picked = Z[base + Y[row]];
          result[row * 2] = lse;
          result[row * 2 + 1] = (lse - picked * (1.0 - uniforms.eps)) - (redB[0] / f32(V)) * uniforms.eps;
        }
      }
    `,
  } as WebGPUProgram;
}

/** inputs { logits [r, V], labels [r] int32 }, attrs { labelSmoothing } → [r, 2]: logsumexp, smoothed cross-entropy. */
export const softmaxCrossEntropyKernel: FusedKernelFunc<'PeftSoftmaxCrossEntropy'> = ({ inputs, backend, attrs }) => {
  const { logits, labels } = inputs;
  check('PeftSoftmaxCrossEntropy', logits, labels);
  const eps = smoothing(attrs);
  return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(rowStatsProgram(logits.shape[0]!), [logits, labels], 'float32', [{ type: 'float32', data: [eps] }]);
};

/** inputs { logits [r, V], lse [r], labels [r], weights [r] }, attrs { labelSmoothing } → (softmax − target)·w [r, V]. */
export const softmaxCrossEntropyGradKernel: FusedKernelFunc<'PeftSoftmaxCrossEntropyGrad'> = ({ inputs, backend, attrs }) => {
  const { logits, lse, labels, weights } = inputs;
  check('PeftSoftmaxCrossEntropyGrad', logits, labels, [lse, weights]);
  const eps = smoothing(attrs);
  const body = `
    let V = uniforms.zShape.y;
    let row = index / V;
    let j = index - row * V;
    let p = exp(Z[index] - LSE[row]);
    let goal = select(0.0, 1.0 - uniforms.eps, j == Y[row]) + uniforms.eps / f32(V); // 'target' is reserved in WGSL
    result[index] = (p - goal) * W[row];`;
  const program = { ...elementwiseProgram('peftSoftmaxCrossEntropyGrad', logits.shape, ['Z', 'LSE', 'Y', 'W'], body), uniforms: 'eps : f32,' } as WebGPUProgram;
  return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(program, [logits, lse, labels, weights], 'float32', [{ type: 'float32', data: [eps] }]);
};
