import * as tf from '@tensorflow/tfjs-core';
import { sinusoidal, type HfModelFacts } from '@peft/core';
import { GPT2_HF_FACTS, loadGpt2, loadRoberta, type Gpt2Model, type RobertaModel } from '@peft/models-gpt2-roberta';

export const TINY_GPT2_DIR = new URL('../../../test-fixtures/tiny-gpt2', import.meta.url).pathname;
export const TINY_ROBERTA_DIR = new URL('../../../test-fixtures/tiny-roberta', import.meta.url).pathname;

/** GPT-2's Hugging Face facts, as its spec carries them (a bare spec plus these is what a model of another layout would be). */
export const GPT2_HF: HfModelFacts = GPT2_HF_FACTS;

/** The tiny GPT-2 fixture (d 32, 4 heads, d_ff 128, 2 layers); its spec carries GPT-2's Hugging Face facts. */
export async function tinyGpt2(): Promise<Gpt2Model> {
  return loadGpt2(TINY_GPT2_DIR);
}

/** The tiny RoBERTa fixture with a 3-label classifier (seeded); its spec carries RoBERTa's Hugging Face facts. */
export async function tinyRoberta(): Promise<RobertaModel> {
  return loadRoberta(TINY_ROBERTA_DIR, { numLabels: 3, seed: 5 });
}

export const IDS = [5, 100, 200, 300, 656, 17, 42, 9];
export const ROBERTA_IDS = [0, 31, 42, 7, 300, 118, 2];

/** RoBERTa's class logits [1, 3] for ROBERTA_IDS. */
export function classLogitsOf(model: RobertaModel): Float32Array {
  return tf.tidy(() => {
    const inputIds = tf.tensor2d([ROBERTA_IDS], [1, ROBERTA_IDS.length], 'int32');
    return model.classify(model.forward({ inputIds }).hidden).dataSync() as Float32Array;
  });
}

export function logitsOf(model: Gpt2Model, ids: readonly number[] = IDS): Float32Array {
  return tf.tidy(() => {
    const inputIds = tf.tensor2d([ids as number[]], [1, ids.length], 'int32');
    return model.logits(model.forward({ inputIds }).hidden).dataSync() as Float32Array;
  });
}

/** max |a − b| / max |b|. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

/** Gives every variable deterministic values around 1 (1 + 0.5·sin), so every vector scales something. */
export function randomise(vars: readonly tf.Variable[], t0 = 1): void {
  vars.forEach((v, k) => v.assign(tf.tidy(() => tf.add(1, tf.tensor(sinusoidal(t0 + k, 0.5)(v.shape, undefined as never), v.shape)))));
}
