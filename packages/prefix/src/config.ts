import * as z from 'zod/mini';
import { booleanField, choiceField, configObject, integerField, keyValueHeads, parseConfig, rateField, withDoc, type ModelSpec, type SameType } from '@peft/core';

/**
 * `hf`: N(0, 0.02) for the embedding and the Linear weights, zero biases (HF fast-init; KA NLG).
 * `torch-default`: PyTorch's constructor init (HE NLU): Embedding N(0, 1), Linear weights kaiming-uniform(√5) and
 * biases U(±1/√fan_in).
 */
export type PrefixInit = 'hf' | 'torch-default';

/** What a user passes to `prefix(…)`. */
export interface PrefixConfig {
  /** L, the number of virtual tokens per layer. */
  readonly length: number;
  /** m, the reparameterisation MLP's hidden size. Default 512 (KA / Li & Liang); HE uses 800. */
  readonly midDim?: number;
  /** Train through Embedding(L, d) → Linear(d, m) → tanh → Linear(m, n_layer·2·d) (default true); false: plain prefixes. */
  readonly reparameterize?: boolean;
  /** Default 'hf'. */
  readonly init?: PrefixInit;
  /** Shift position ids by L (GPT-2 reference, KA NLG). Default: the model's `pastShiftsPositions` (GPT-2 yes, RoBERTa no). */
  readonly positionShift?: boolean;
  /** Dropout on the prefix keys/values (HE `prefix_dropout`); default 0. */
  readonly dropout?: number;
}

export interface ResolvedPrefixConfig {
  readonly length: number;
  readonly midDim: number;
  readonly reparameterize: boolean;
  readonly init: PrefixInit;
  /** Absent: the model's `pastShiftsPositions` decides. */
  readonly positionShift?: boolean;
  readonly dropout: number;
}

/**
 * The one definition of a prefix config: fields, defaults, checks and docs (the README's table is generated from it).
 * Stored configs (adapter_config.json) are read through it too.
 */
export const PREFIX_SCHEMA = configObject({
  length: withDoc(integerField({ min: 1 }, { expects: 'positive integer', must: 'a positive integer' }), {
    description: "L, virtual tokens per layer (HE MAM: 30 on XSum, 16 on GLUE; ≈ 109 matches the paper's 1.61 % at inference).",
  }),
  midDim: withDoc(z._default(integerField({ min: 1 }, { expects: 'positive integer', must: 'a positive integer' }), 512), {
    description: 'm of the reparameterisation (KA and Li & Liang 512; HE `--mid_dim 800`).',
  }),
  reparameterize: withDoc(z._default(booleanField(), true), {
    description: 'Train through Embedding(L, d)[arange(L)] → Linear(d, m) → tanh → Linear(m, n_layer·2·d). `false`: plain per-layer prefixes as parameters.',
  }),
  init: withDoc(z._default(choiceField(['hf', 'torch-default']), 'hf'), {
    description:
      "`'hf'`: N(0, 0.02) embedding and weights, zero biases (HF fast-init; KA NLG). `'torch-default'`: Embedding N(0, 1), Linear weights kaiming-uniform(√5), biases U(±1/√fan_in) (HE NLU). Plain prefixes start N(0, 0.02) or N(0, 1) respectively.",
  }),
  positionShift: withDoc(z.optional(booleanField()), {
    defaultText: "the model's `pastShiftsPositions` (GPT-2, Llama: `true`; RoBERTa: `false`)",
    description: "GPT-2's reference passes the prefixes as `past_key_values`, so positions start at L: the instance's `positionOffset` is then L.",
  }),
  dropout: withDoc(z._default(rateField(), 0), { description: 'on the prefix keys/values (HE `prefix_dropout`), training only.' }),
});

true satisfies SameType<z.input<typeof PREFIX_SCHEMA>, PrefixConfig>;
true satisfies SameType<z.output<typeof PREFIX_SCHEMA>, ResolvedPrefixConfig>;

/** Checks every field and fills the defaults; a bad field throws {@link ConfigError} naming `prefix.<field>`. */
export function resolvePrefixConfig(config: PrefixConfig): ResolvedPrefixConfig {
  return parseConfig('prefix', PREFIX_SCHEMA, config);
}

/**
 * Whether position ids shift by L for this model: the config's choice, else the model's fact (decoders whose Hugging
 * Face implementation starts new positions after the cached length, as PEFT's past key/values then shift them).
 */
export function shiftsPositions(config: ResolvedPrefixConfig, spec: Pick<ModelSpec, 'pastShiftsPositions'>): boolean {
  return config.positionShift ?? spec.pastShiftsPositions === true;
}

/**
 * The width of one layer's prefix keys (and values): H_kv·p, the key/value heads' width (= d without grouped-query
 * attention). PEFT's `token_dim` for prefix-tuning, which it sets to the same under grouped-query attention.
 */
export function prefixWidth(spec: ModelSpec): number {
  return keyValueHeads(spec) * spec.headDim;
}

/** The parameters the prefixes themselves hold at inference: n_layer·2·w·L, w = H_kv·p (18,432·L for GPT-2 small). */
export function prefixInferenceCount(config: Pick<ResolvedPrefixConfig, 'length'>, spec: ModelSpec): number {
  return spec.numLayers * 2 * prefixWidth(spec) * config.length;
}

/**
 * Trainable parameters: L·w + w·m + m + m·(n_layer·2·w) + n_layer·2·w reparameterised (w = H_kv·p, d on GPT-2 and
 * RoBERTa; PEFT's PrefixEncoder sizes its embedding by the same token_dim), else the inference count.
 */
export function prefixTrainingCount(config: ResolvedPrefixConfig, spec: ModelSpec): number {
  if (!config.reparameterize) return prefixInferenceCount(config, spec);
  const d = prefixWidth(spec);
  const m = config.midDim;
  const out = spec.numLayers * 2 * d;
  return config.length * d + d * m + m + m * out + out;
}
