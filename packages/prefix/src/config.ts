import { ConfigError, keyValueHeads, refuseUnknownFields, type ModelSpec } from '@peft/core';

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

/** Checks every field and fills the defaults; a bad field throws {@link ConfigError} naming `prefix.<field>`. */
const PREFIX_FIELDS = ['length', 'midDim', 'reparameterize', 'init', 'positionShift', 'dropout'] as const satisfies readonly (keyof PrefixConfig)[];

export function resolvePrefixConfig(config: PrefixConfig): ResolvedPrefixConfig {
  if (typeof config !== 'object' || config === null) throw new ConfigError('prefix', 'config must be an object');
  refuseUnknownFields('prefix', config, PREFIX_FIELDS);
  const positiveInt = (field: string, v: unknown) => {
    if (!(Number.isInteger(v) && (v as number) > 0)) throw new ConfigError(`prefix.${field}`, `must be a positive integer, got ${JSON.stringify(v)}`);
  };
  positiveInt('length', config.length);
  const midDim = config.midDim ?? 512;
  positiveInt('midDim', midDim);
  const init = config.init ?? 'hf';
  if (init !== 'hf' && init !== 'torch-default') {
    throw new ConfigError('prefix.init', `must be 'hf' or 'torch-default', got ${JSON.stringify(init)}`);
  }
  const dropout = config.dropout ?? 0;
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) throw new ConfigError('prefix.dropout', `must be in [0, 1), got ${dropout}`);
  for (const f of ['reparameterize', 'positionShift'] as const) {
    if (config[f] !== undefined && typeof config[f] !== 'boolean') {
      throw new ConfigError(`prefix.${f}`, `must be a boolean, got ${JSON.stringify(config[f])}`);
    }
  }
  return {
    length: config.length,
    midDim,
    reparameterize: config.reparameterize ?? true,
    init,
    ...(config.positionShift !== undefined ? { positionShift: config.positionShift } : {}),
    dropout,
  };
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
