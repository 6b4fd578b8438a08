import * as tf from '@tensorflow/tfjs-core';
import { sinusoidal, type HfModelFacts, type ModelSpec } from '@peft/core';
import { loadGpt2, loadRoberta, type Gpt2Model, type RobertaModel } from '@peft/models-gpt2-roberta';

export const TINY_GPT2_DIR = new URL('../../../test-fixtures/tiny-gpt2', import.meta.url).pathname;
export const TINY_ROBERTA_DIR = new URL('../../../test-fixtures/tiny-roberta', import.meta.url).pathname;

/**
 * GPT-2's Hugging Face names, as the model's spec will carry them (`hf`): written here for the tests until
 * @peft/models-gpt2-roberta fills `spec.hf` itself; {@link withHfFacts} keeps the model's own facts when it has them.
 */
export const GPT2_HF: HfModelFacts = {
  layersPath: 'transformer.h',
  modules: [
    { name: 'attn.c_attn', sites: ['attn.q', 'attn.k', 'attn.v'], pattern: 'attn\\.c_attn' },
    { name: 'attn.c_proj', sites: ['attn.o'], pattern: 'attn\\.c_proj' },
    { name: 'mlp.c_fc', sites: ['ffn.in'], pattern: 'mlp\\.c_fc' },
    { name: 'mlp.c_proj', sites: ['ffn.out'], pattern: 'mlp\\.c_proj' },
  ],
  fanInFanOut: true,
  taskType: 'CAUSAL_LM',
};

/** RoBERTa's Hugging Face names (RobertaForSequenceClassification), likewise. */
export const ROBERTA_HF: HfModelFacts = {
  layersPath: 'roberta.encoder.layer',
  modules: [
    { name: 'attention.self.query', sites: ['attn.q'], pattern: 'attention\\.self\\.query' },
    { name: 'attention.self.key', sites: ['attn.k'], pattern: 'attention\\.self\\.key' },
    { name: 'attention.self.value', sites: ['attn.v'], pattern: 'attention\\.self\\.value' },
    { name: 'attention.output.dense', sites: ['attn.o'], pattern: 'attention\\.output\\.dense' },
    { name: 'intermediate.dense', sites: ['ffn.in'], pattern: 'intermediate\\.dense' },
    { name: 'output.dense', sites: ['ffn.out'], pattern: 'layer\\.\\d+\\.output\\.dense' },
  ],
  fanInFanOut: false,
  taskType: 'SEQ_CLS',
  headModule: 'classifier',
};

/** The model, with `spec.hf` = `hf` where its own spec has none. */
export function withHfFacts<M extends { readonly spec: ModelSpec }>(model: M, hf: HfModelFacts = GPT2_HF): M {
  let proto: object | null = Object.getPrototypeOf(model);
  let get: (() => ModelSpec) | undefined;
  while (proto && !get) {
    get = Object.getOwnPropertyDescriptor(proto, 'spec')?.get as (() => ModelSpec) | undefined;
    proto = Object.getPrototypeOf(proto);
  }
  if (!get) throw new Error('the model has no spec getter');
  const own = get;
  Object.defineProperty(model, 'spec', {
    configurable: true,
    get: () => {
      const s = own.call(model);
      return s.hf ? s : { ...s, hf };
    },
  });
  return model;
}

/** The tiny GPT-2 fixture (d 32, 4 heads, d_ff 128, 2 layers), with GPT-2's Hugging Face facts. */
export async function tinyGpt2(): Promise<Gpt2Model> {
  return withHfFacts(await loadGpt2(TINY_GPT2_DIR));
}

/** The tiny RoBERTa fixture with a 3-label classifier (seeded), with RoBERTa's Hugging Face facts. */
export async function tinyRoberta(): Promise<RobertaModel> {
  return withHfFacts(await loadRoberta(TINY_ROBERTA_DIR, { numLabels: 3, seed: 5 }), ROBERTA_HF);
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
