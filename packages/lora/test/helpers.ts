import { modelLinearSites, sinusoidal, type ModelSpec } from '@peft/core';
import { gpt2Spec, robertaSpec } from '@peft/models-gpt2-roberta';

export { LinearSitesModel } from '../../../test/linear-sites-model.js';

/** The linear sites of GPT-2 and RoBERTa: every site but a gated FFN's gate. */
export const DENSE_SITES = modelLinearSites({ architecture: 'gpt2', numLayers: 1, hiddenSize: 8, numHeads: 2, headDim: 4, intermediateSize: 12 });

// the models' own facts (HF module names, layer paths, fan_in_fan_out, task type): LoRA reads them from the spec
export const TINY_GPT2: ModelSpec = gpt2Spec({ nLayer: 2, nEmbd: 8, nHead: 2, nInner: 12, vocabSize: 50257 });
export const TINY_ROBERTA: ModelSpec = robertaSpec({ numLayers: 2, hiddenSize: 8, numHeads: 2, intermediateSize: 12, vocabSize: 50265 });
export const GPT2_SMALL: ModelSpec = gpt2Spec({ nLayer: 12, nEmbd: 768, nHead: 12, nInner: 3072, vocabSize: 50257 });
export const ROBERTA_BASE: ModelSpec = robertaSpec({ numLayers: 12, hiddenSize: 768, numHeads: 12, intermediateSize: 3072, vocabSize: 50265 });

/** Row-major float64 matrix product of plain arrays: [n, k] × [k, m]. */
export function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t]! * b[t * m + j]!;
    out[i * m + j] = s;
  }
  return out;
}

/** Transpose of a row-major [n, m] matrix. */
export function transpose64(a: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!;
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function values(t: number, s: number, shape: number[]): Float32Array {
  return sinusoidal(t, s)(shape, undefined as never);
}
