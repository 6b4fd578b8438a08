import * as tf from '@tensorflow/tfjs-core';
import { modelLinearSites, sinusoidal, type ModelSpec } from '@peft/core';
import { gpt2Spec, robertaSpec } from '@peft/models-gpt2-roberta';

export { LinearSitesModel } from '../../../test/linear-sites-model.js';

export const TINY_GPT2: ModelSpec = gpt2Spec({ nLayer: 2, nEmbd: 8, nHead: 2, nInner: 12, vocabSize: 50257 });
export const TINY_ROBERTA: ModelSpec = robertaSpec({ numLayers: 2, hiddenSize: 8, numHeads: 2, intermediateSize: 12, vocabSize: 50265 });
/** The linear sites of GPT-2 and RoBERTa: every site but a gated FFN's gate. */
export const DENSE_SITES = modelLinearSites(TINY_GPT2);

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** max |a − b| / max |b|. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(b[i]!));
  return maxAbsDiff(a, b) / m;
}

export function values(t: number, s: number, shape: number[]): Float32Array {
  return sinusoidal(t, s)(shape, undefined as never);
}

/** Gives every variable of `params` deterministic non-trivial values (so B ≠ 0 and m ≠ ‖W‖). */
export function randomise(params: { entries(): [string, tf.Variable][] }, salt = 20, scale = 0.2): void {
  let t = salt;
  for (const [name, v] of params.entries()) {
    // magnitudes stay near their natural size (‖W‖ is O(1) here), else a site's output would flip sign
    const s = name.endsWith('lora_magnitude_vector') ? 0.1 : scale;
    const offset = name.endsWith('lora_magnitude_vector') ? 1 : 0;
    v.assign(tf.tidy(() => tf.add(tf.tensor(values(t++, s, v.shape), v.shape), offset)));
  }
}
