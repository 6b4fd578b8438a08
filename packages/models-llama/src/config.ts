import { ConfigError } from '@peft/core';
import { CONFIG_LIMITS, ConfigFields } from '@peft/models-base';

/** The config.json families this package reads (`model_type`); SmolLM2 and Llama 3.x are `llama`. */
export const LLAMA_MODEL_TYPES = ['llama', 'qwen2', 'mistral'] as const;
export type LlamaModelType = (typeof LLAMA_MODEL_TYPES)[number];

/** The rotary frequency schemes implemented (`rope_scaling.rope_type`), as transformers 5 computes `inv_freq`. */
export const ROPE_TYPES = ['default', 'linear', 'llama3'] as const;

export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositionEmbeddings: number;
    };

/** The hyper-parameters of a Llama-family decoder, read from a Hugging Face config.json. */
export interface LlamaConfig {
  readonly modelType: LlamaModelType;
  readonly vocabSize: number; // vocab_size
  readonly hiddenSize: number; // hidden_size, d
  readonly intermediateSize: number; // intermediate_size
  readonly numLayers: number; // num_hidden_layers
  readonly numHeads: number; // num_attention_heads
  readonly numKeyValueHeads: number; // num_key_value_heads (default num_attention_heads)
  readonly headDim: number; // head_dim (default hidden_size / num_attention_heads)
  readonly rmsNormEps: number; // rms_norm_eps
  readonly ropeTheta: number; // rope_theta (or rope_parameters.rope_theta)
  readonly ropeScaling: RopeScaling; // rope_scaling / rope_parameters
  readonly maxPositions: number; // max_position_embeddings
  readonly tieWordEmbeddings: boolean; // tie_word_embeddings
  /** Biases of q, k, v (Llama's attention_bias; Qwen2: always). */
  readonly qkvBias: boolean;
  /** Bias of o_proj (Llama's attention_bias; Qwen2, Mistral: never). */
  readonly oBias: boolean;
  readonly mlpBias: boolean; // mlp_bias (Llama only)
  readonly hiddenAct: 'silu'; // hidden_act
  readonly attentionDropout: number; // attention_dropout
  /**
   * Per layer: the sliding attention window W (a query sees the W newest keys, itself included), or null for full
   * causal attention. Mistral: `sliding_window` on every layer; Qwen2: only with `use_sliding_window`, from
   * `max_window_layers` on (or as `layer_types` says).
   */
  readonly slidingWindows: readonly (number | null)[];
  readonly bosTokenId: number | null;
  /** eos_token_id: one id or several (Llama 3.x instruct lists three). */
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
  /** torch_dtype / dtype as the config names it (informative: weights are read in whatever dtype they are stored). */
  readonly torchDtype: string | null;
}

const DEFAULTS: Record<LlamaModelType, { maxPositions: number; rmsNormEps: number; bos: number | null; eos: number | null; slidingWindow: number | null }> = {
  llama: { maxPositions: 2048, rmsNormEps: 1e-6, bos: 1, eos: 2, slidingWindow: null },
  qwen2: { maxPositions: 32768, rmsNormEps: 1e-6, bos: null, eos: null, slidingWindow: 4096 },
  mistral: { maxPositions: 4096 * 32, rmsNormEps: 1e-6, bos: 1, eos: 2, slidingWindow: 4096 },
};

/** Parses config.json (HF names; `model_type` must be one of {@link LLAMA_MODEL_TYPES}); `path` names the file in errors. */
export function parseLlamaConfig(json: Record<string, unknown>, path = 'config.json'): LlamaConfig {
  const f = new ConfigFields(json, path);
  const fail = (field: string, message: string): never => {
    throw new ConfigError(`${path}: ${field}`, message, { kind: 'data' });
  };
  const modelType = f.string('model_type', '<none>');
  if (!(LLAMA_MODEL_TYPES as readonly string[]).includes(modelType)) {
    fail('model_type', `is '${modelType}', expected one of ${LLAMA_MODEL_TYPES.join(', ')}`);
  }
  const type = modelType as LlamaModelType;
  const defaults = DEFAULTS[type];
  const hiddenSize = f.positiveInt(['hidden_size'], CONFIG_LIMITS.width);
  const numHeads = f.positiveInt(['num_attention_heads'], CONFIG_LIMITS.heads);
  const numKeyValueHeads = f.positiveInt(['num_key_value_heads'], CONFIG_LIMITS.heads, numHeads);
  if (numHeads % numKeyValueHeads !== 0) {
    fail('num_key_value_heads', `${numKeyValueHeads} does not divide num_attention_heads ${numHeads}`);
  }
  const headDimGiven = json.head_dim !== undefined && json.head_dim !== null;
  if (!headDimGiven && hiddenSize % numHeads !== 0) {
    fail('num_attention_heads', `hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads} (and there is no head_dim)`);
  }
  const headDim = f.positiveInt(['head_dim'], CONFIG_LIMITS.width, hiddenSize / numHeads);
  if (headDim % 2 !== 0) fail('head_dim', `must be even for rotary positions, got ${headDim}`);
  const numLayers = f.positiveInt(['num_hidden_layers'], CONFIG_LIMITS.layers);
  const maxPositions = f.positiveInt(['max_position_embeddings'], CONFIG_LIMITS.positions, defaults.maxPositions);
  const hiddenAct = f.string('hidden_act', 'silu');
  if (hiddenAct !== 'silu') fail('hidden_act', `'${hiddenAct}' is not supported (Llama-family models use 'silu')`);

  const bool = (name: string, fallback: boolean): boolean => {
    const v = json[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') fail(name, `must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const attentionBias = bool('attention_bias', false);
  const qkvBias = type === 'qwen2' ? true : type === 'llama' ? attentionBias : false;
  const oBias = type === 'llama' ? attentionBias : false;
  const mlpBias = type === 'llama' ? bool('mlp_bias', false) : false;

  const { theta, scaling } = parseRope(json, f, fail, maxPositions);
  return {
    modelType: type,
    vocabSize: f.positiveInt(['vocab_size'], CONFIG_LIMITS.vocab),
    hiddenSize,
    intermediateSize: f.positiveInt(['intermediate_size'], CONFIG_LIMITS.inner),
    numLayers,
    numHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: f.number('rms_norm_eps', defaults.rmsNormEps, 0),
    ropeTheta: theta,
    ropeScaling: scaling,
    maxPositions,
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    qkvBias,
    oBias,
    mlpBias,
    hiddenAct: 'silu',
    attentionDropout: f.number('attention_dropout', 0, 0, 0.999),
    slidingWindows: slidingWindows(json, type, numLayers, f, fail, bool, defaults.slidingWindow),
    bosTokenId: tokenId(json, 'bos_token_id', defaults.bos, fail),
    eosTokenIds: eosIds(json, defaults.eos, fail),
    padTokenId: tokenId(json, 'pad_token_id', null, fail),
    torchDtype: typeof json.torch_dtype === 'string' ? json.torch_dtype : typeof json.dtype === 'string' ? json.dtype : null,
  };
}

type Fail = (field: string, message: string) => never;

function tokenId(json: Record<string, unknown>, name: string, fallback: number | null, fail: Fail): number | null {
  const v = json[name];
  if (v === undefined) return fallback;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(name, `must be a non-negative integer or null, got ${JSON.stringify(v)}`);
  return v as number;
}

function eosIds(json: Record<string, unknown>, fallback: number | null, fail: Fail): number[] {
  const v = json.eos_token_id;
  if (Array.isArray(v)) {
    return v.map((x, i) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) fail(`eos_token_id[${i}]`, `must be a non-negative integer, got ${JSON.stringify(x)}`);
      return x as number;
    });
  }
  const one = tokenId(json, 'eos_token_id', fallback, fail);
  return one === null ? [] : [one];
}

/**
 * rope_theta and the frequency scheme: transformers 5's `rope_parameters` ({rope_type, rope_theta, …}) or the older
 * `rope_scaling` ({rope_type | type, factor, …}) beside a top-level `rope_theta` (default 10000).
 */
function parseRope(json: Record<string, unknown>, f: ConfigFields, fail: Fail, maxPositions: number): { theta: number; scaling: RopeScaling } {
  const field = json.rope_parameters !== undefined && json.rope_parameters !== null ? 'rope_parameters' : 'rope_scaling';
  const raw = json[field];
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) fail(field, `must be an object or null, got ${JSON.stringify(raw)}`);
  const p = (raw ?? {}) as Record<string, unknown>;
  const nested = Object.keys(p).filter((k) => k === 'full_attention' || k === 'sliding_attention');
  if (nested.length) fail(`${field}.${nested[0]}`, 'rotary parameters per layer type are not supported (one set for every layer)');
  const num = (name: string, fallback?: number, positive = true): number => {
    const v = p[name];
    if (v === undefined || v === null) {
      if (fallback === undefined) fail(`${field}.${name}`, 'is missing');
      return fallback!;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) fail(`${field}.${name}`, `must be a positive number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const theta = p.rope_theta !== undefined ? num('rope_theta') : f.number('rope_theta', 10_000, Number.MIN_VALUE);
  const partial = p.partial_rotary_factor ?? json.partial_rotary_factor;
  if (partial !== undefined && partial !== null && partial !== 1) {
    fail(p.partial_rotary_factor !== undefined ? `${field}.partial_rotary_factor` : 'partial_rotary_factor', `is ${JSON.stringify(partial)}; only 1 (rotate the whole head) is supported`);
  }
  const typeName = p.rope_type ?? p.type ?? 'default';
  if (typeof typeName !== 'string' || !(ROPE_TYPES as readonly string[]).includes(typeName)) {
    fail(`${field}.rope_type`, `is ${JSON.stringify(typeName)}; supported: ${ROPE_TYPES.join(', ')}`);
  }
  switch (typeName as (typeof ROPE_TYPES)[number]) {
    case 'default':
      return { theta, scaling: { type: 'default' } };
    case 'linear':
      return { theta, scaling: { type: 'linear', factor: num('factor') } };
    case 'llama3': {
      const lowFreqFactor = num('low_freq_factor');
      const highFreqFactor = num('high_freq_factor');
      if (!(highFreqFactor > lowFreqFactor)) fail(`${field}.high_freq_factor`, `must exceed low_freq_factor ${lowFreqFactor}, got ${highFreqFactor}`);
      return {
        theta,
        scaling: {
          type: 'llama3',
          factor: num('factor'),
          lowFreqFactor,
          highFreqFactor,
          originalMaxPositionEmbeddings: num('original_max_position_embeddings', maxPositions),
        },
      };
    }
  }
}

function slidingWindows(
  json: Record<string, unknown>,
  type: LlamaModelType,
  layers: number,
  f: ConfigFields,
  fail: Fail,
  bool: (name: string, fallback: boolean) => boolean,
  fallback: number | null,
): (number | null)[] {
  if (type === 'llama') return new Array<number | null>(layers).fill(null);
  const window = json.sliding_window === null ? null : f.positiveInt(['sliding_window'], CONFIG_LIMITS.positions, fallback ?? undefined);
  if (type === 'mistral') return new Array<number | null>(layers).fill(window);
  // qwen2: the window only with use_sliding_window, on the layers that layer_types (or max_window_layers) name
  const used = bool('use_sliding_window', false) ? window : null;
  const lt = json.layer_types;
  if (lt !== undefined && lt !== null) {
    if (!Array.isArray(lt) || lt.length !== layers) fail('layer_types', `must list one type per layer (${layers}), got ${JSON.stringify(lt)}`);
    return (lt as unknown[]).map((t, i) => {
      if (t === 'full_attention') return null;
      if (t === 'sliding_attention') return used;
      return fail(`layer_types[${i}]`, `is ${JSON.stringify(t)}, expected 'full_attention' or 'sliding_attention'`);
    });
  }
  const from = f.int('max_window_layers', 28);
  return Array.from({ length: layers }, (_, i) => (used !== null && i >= from ? used : null));
}

/** The Hugging Face parameter count of the causal LM (a tied head is not counted twice). */
export function llamaParameterCount(c: LlamaConfig): number {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  const attn = d * q + 2 * d * kv + q * d + (c.qkvBias ? q + 2 * kv : 0) + (c.oBias ? d : 0);
  const mlp = 3 * d * c.intermediateSize + (c.mlpBias ? 2 * c.intermediateSize + d : 0);
  const layer = attn + mlp + 2 * d;
  return c.vocabSize * d * (c.tieWordEmbeddings ? 1 : 2) + c.numLayers * layer + d;
}
