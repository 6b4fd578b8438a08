import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { FusedKernelFunc } from '@peft/core';
import type { WebGpuBackendLike } from './program.js';

/**
 * @peft/core's `PeftMaskedSoftmax` and `PeftMaskedSoftmaxGrad`: attention's score step, the pair @peft/attention-kernel's
 * fused attention runs between its products (as @peft/blas does on the CPU). One workgroup per score row [B·H·n rows of
 * m]: the row's scaled, causally replaced (masked → maskedValue) and padding-masked scores are formed on the fly, reduced
 * (max, Σ exp) in shared memory and written — probabilities, the log-sum-exp the per-query support's λ needs ('masked':
 * of the padded row, 'unpadded': of the row before the padding mask, with that row's softmax), or, backward, dScores
 * from P, dP and dlse. Composed from tfjs ops the forward is a scale, the causal replacement (a [n, m] keep-mask uploaded
 * each call), the padding add, a softmax and a six-op log-sum-exp; the backward about eight passes over [B, H, n, m].
 * The operations are the composed path's: s·scale, masked entries replaced by maskedValue, + mask; softmax as tfjs's
 * exp(x − max)/Σ; log-sum-exp max + log Σ exp(x − max); the gradient's terms in the composed order.
 */
const THREADS = 64;

type RowOutput = 'softmax' | 'lse' | 'expMinusLse';

/** The row of scores as the composed path forms it, and its max and Σ exp(x − max), in WGSL. */
function rowCode(useMask: boolean, causal: boolean, output: RowOutput): string {
  const value = `
    fn scoreAt(row : i32, j : i32) -> f32 {
      let n = uniforms.zShape[2];
      let m = uniforms.zShape[3];
      var x = Z[row * m + j] * uniforms.scale;
      ${causal ? 'if (j > m - n + (row % n)) { x = uniforms.maskedValue; }' : ''}
      ${useMask ? `
      let hn = uniforms.zShape[1] * n;
      let b = row / hn;
      let h = (row / n) % uniforms.zShape[1];
      let i = row % n;
      let ms = uniforms.maskShape;
      let mi = ((select(b, 0, ms[0] == 1) * ms[1] + select(h, 0, ms[1] == 1)) * ms[2] + select(i, 0, ms[2] == 1)) * ms[3] + select(j, 0, ms[3] == 1);
      x = x + Mask[mi];` : ''}
      return x;
    }`;
  const write = {
    softmax: 'for (var j = tid; j < m; j = j + THREADS) { result[row * m + j] = exp(scoreAt(row, j) - rowMax) / rowSum; }',
    lse: 'if (tid == 0) { result[row] = rowMax + log(rowSum); }',
    expMinusLse: 'let lse = rowMax + log(rowSum); for (var j = tid; j < m; j = j + THREADS) { result[row * m + j] = exp(scoreAt(row, j) - lse); }',
  }[output];
  return `
    const THREADS = ${THREADS};
    var<workgroup> red : array<f32, ${THREADS}>;
    ${value}
    fn main(index : i32) {
      let row = i32(workgroupId.x);
      let tid = i32(localId.x);
      let m = uniforms.zShape[3];
      var mx = -uniforms.INFINITY;
      for (var j = tid; j < m; j = j + THREADS) { mx = max(mx, scoreAt(row, j)); }
      red[tid] = mx;
      workgroupBarrier();
      for (var s = THREADS / 2; s > 0; s = s >> 1u) {
        if (tid < s) { red[tid] = max(red[tid], red[tid + s]); }
        workgroupBarrier();
      }
      let rowMax = red[0];
      workgroupBarrier();
      var e = 0.0;
      for (var j = tid; j < m; j = j + THREADS) { e = e + exp(scoreAt(row, j) - rowMax); }
      red[tid] = e;
      workgroupBarrier();
      for (var s = THREADS / 2; s > 0; s = s >> 1u) {
        if (tid < s) { red[tid] = red[tid] + red[tid + s]; }
        workgroupBarrier();
      }
      let rowSum = red[0];
      ${write}
    }`;
}

function rowProgram(shape: readonly number[], useMask: boolean, causal: boolean, output: RowOutput): WebGPUProgram {
  const [b, h, n] = shape as [number, number, number, number];
  const rows = b * h * n;
  return {
    variableNames: useMask ? ['Z', 'Mask'] : ['Z'],
    outputShape: output === 'lse' ? [rows] : [...shape],
    shaderKey: `peftMaskedSoftmax_${output}_${useMask ? 'mask' : ''}_${causal ? 'causal' : ''}`,
    uniforms: 'scale : f32, maskedValue : f32,',
    workgroupSize: [THREADS, 1, 1],
    dispatchLayout: { x: [0] },
    dispatch: [rows, 1, 1],
    getUserCode: () => rowCode(useMask, causal, output),
  } as WebGPUProgram;
}

function check4d(name: string, ...ts: (tf.TensorInfo | undefined)[]): void {
  for (const t of ts) if (t && t.dtype !== 'float32') throw new TypeError(`@peft/webgpu ${name}: float32 tensors only, got ${t.dtype}`);
  if (ts[0]!.shape.length !== 4) throw new TypeError(`@peft/webgpu ${name}: expected [B, H, n, m], got [${ts[0]!.shape}]`);
}

const as4d = (t: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype }) as tf.TensorInfo;

/** inputs { scores, mask? }, attrs { scale, causal, maskedValue, lse } → [P] | [P, lse] | [P, lse of the unpadded row, its softmax]. */
export const maskedSoftmaxKernel: FusedKernelFunc<'PeftMaskedSoftmax'> = ({ inputs, backend, attrs }) => {
  const { scores, mask } = inputs;
  check4d('PeftMaskedSoftmax', scores, mask);
  const { scale, causal, maskedValue, lse } = attrs;
  const shape = scores.shape as number[];
  let mask4: tf.TensorInfo | undefined;
  if (mask) {
    if (mask.shape.length > 4) throw new TypeError(`@peft/webgpu PeftMaskedSoftmax: mask [${mask.shape}] does not broadcast to [${shape}]`);
    const padded = [...Array(4 - mask.shape.length).fill(1), ...mask.shape] as number[];
    padded.forEach((d, k) => {
      if (d !== 1 && d !== shape[k]) throw new TypeError(`@peft/webgpu PeftMaskedSoftmax: mask [${mask.shape}] does not broadcast to [${shape}]`);
    });
    mask4 = as4d(mask, padded);
  }
  const gpu = backend as unknown as WebGpuBackendLike;
  const uniforms = [{ type: 'float32', data: [scale] }, { type: 'float32', data: [maskedValue] }];
  const run = (useMask: boolean, output: RowOutput): tf.TensorInfo =>
    gpu.runWebGPUProgram(rowProgram(shape, useMask, causal, output), useMask ? [scores, mask4!] : [scores], 'float32', uniforms);
  const probs = run(!!mask4, 'softmax');
  const rowsShape = [shape[0]!, shape[1]!, shape[2]!, 1];
  if (lse === 'none') return [probs];
  if (lse === 'masked') return [probs, as4d(run(!!mask4, 'lse'), rowsShape)];
  return [probs, as4d(run(false, 'lse'), rowsShape), run(false, 'expMinusLse')];
};

/** inputs { probs, dProbs, dLse?, lseProbs? }, attrs { scale, causal } → dScores. */
export const maskedSoftmaxGradKernel: FusedKernelFunc<'PeftMaskedSoftmaxGrad'> = ({ inputs, backend, attrs }) => {
  const { probs, dProbs, dLse, lseProbs } = inputs;
  check4d('PeftMaskedSoftmaxGrad', probs, dProbs, dLse, lseProbs);
  const shape = probs.shape as number[];
  const [b, h, n] = shape as [number, number, number, number];
  const rows = b * h * n;
  const { scale, causal } = attrs;
  const names = ['P', 'DP', ...(dLse ? ['DLSE'] : []), ...(lseProbs ? ['LP'] : [])];
  const lseTerm = dLse ? `ds = ds + DLSE[row] * ${lseProbs ? 'LP[k]' : 'P[k]'};` : '';
  const program = {
    variableNames: names,
    outputShape: [...shape],
    shaderKey: `peftMaskedSoftmaxGrad_${dLse ? 'dlse' : ''}_${lseProbs ? 'lp' : ''}_${causal ? 'causal' : ''}`,
    uniforms: 'scale : f32,',
    workgroupSize: [THREADS, 1, 1],
    dispatchLayout: { x: [0] },
    dispatch: [rows, 1, 1],
    getUserCode: () => `
      const THREADS = ${THREADS};
      var<workgroup> red : array<f32, ${THREADS}>;
      fn main(index : i32) {
        let row = i32(workgroupId.x);
        let tid = i32(localId.x);
        let n = uniforms.pShape[2];
        let m = uniforms.pShape[3];
        var acc = 0.0;
        for (var j = tid; j < m; j = j + THREADS) { acc = acc + DP[row * m + j] * P[row * m + j]; }
        red[tid] = acc;
        workgroupBarrier();
        for (var s = THREADS / 2; s > 0; s = s >> 1u) {
          if (tid < s) { red[tid] = red[tid] + red[tid + s]; }
          workgroupBarrier();
        }
        let dot = red[0];
        for (var j = tid; j < m; j = j + THREADS) {
          let k = row * m + j;
          var ds = P[k] * (DP[k] - dot);
          ${lseTerm}
          ds = ds * uniforms.scale;
          ${causal ? 'if (j > m - n + (row % n)) { ds = 0.0; }' : ''}
          result[k] = ds;
        }
      }
    `,
  } as WebGPUProgram;
  const tensors = [probs, dProbs, ...(dLse ? [{ dataId: dLse.dataId, shape: [rows], dtype: dLse.dtype } as tf.TensorInfo] : []), ...(lseProbs ? [lseProbs] : [])];
  return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(program, tensors, 'float32', [{ type: 'float32', data: [scale] }]);
};
