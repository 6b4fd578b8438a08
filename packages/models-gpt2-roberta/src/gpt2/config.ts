import { ConfigError } from '@peft/core';
import { CONFIG_LIMITS, ConfigFields } from '@peft/models-base';

/** The GPT-2 hyper-parameters this package uses, read from a Hugging Face config.json. */
export interface Gpt2Config {
  readonly vocabSize: number; // vocab_size (50257 for gpt2)
  readonly nPositions: number; // n_positions (1024)
  readonly nEmbd: number; // n_embd, d (768)
  readonly nLayer: number; // n_layer (12)
  readonly nHead: number; // n_head (12)
  readonly nInner: number; // n_inner, or 4·d when null (3072)
  readonly activation: string; // activation_function ('gelu_new')
  readonly layerNormEpsilon: number; // layer_norm_epsilon (1e-5)
  readonly embdPdrop: number; // embd_pdrop (0.1)
  readonly attnPdrop: number; // attn_pdrop (0.1)
  readonly residPdrop: number; // resid_pdrop (0.1)
}

export const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu'] as const;

/** Parses config.json fields (HF names); `path` names the file in errors. */
export function parseGpt2Config(json: Record<string, unknown>, path = 'config.json'): Gpt2Config {
  const f = new ConfigFields(json, path);
  const nEmbd = f.positiveInt(['n_embd', 'hidden_size'], CONFIG_LIMITS.width);
  const nHead = f.positiveInt(['n_head', 'num_attention_heads'], CONFIG_LIMITS.heads);
  if (nEmbd % nHead !== 0) throw new ConfigError(`${path}: n_head`, `n_embd ${nEmbd} is not divisible by n_head ${nHead}`, { kind: 'data' });
  const activation = f.string('activation_function', 'gelu_new');
  if (!(GPT2_ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new ConfigError(`${path}: activation_function`, `'${activation}' is not supported (use one of ${GPT2_ACTIVATIONS.join(', ')})`, { kind: 'data' });
  }
  return {
    vocabSize: f.positiveInt(['vocab_size'], CONFIG_LIMITS.vocab),
    nPositions: f.positiveInt(['n_positions', 'n_ctx', 'max_position_embeddings'], CONFIG_LIMITS.positions),
    nEmbd,
    nLayer: f.positiveInt(['n_layer', 'num_hidden_layers'], CONFIG_LIMITS.layers),
    nHead,
    nInner: f.positiveInt(['n_inner'], CONFIG_LIMITS.inner, 4 * nEmbd),
    activation,
    layerNormEpsilon: f.number('layer_norm_epsilon', 1e-5, 0),
    embdPdrop: f.number('embd_pdrop', 0.1, 0, 0.999),
    attnPdrop: f.number('attn_pdrop', 0.1, 0, 0.999),
    residPdrop: f.number('resid_pdrop', 0.1, 0, 0.999),
  };
}

/** The Hugging Face parameter count of GPT2LMHeadModel (lm_head tied, so not counted): 124,439,808 for gpt2. */
export function gpt2ParameterCount(c: Pick<Gpt2Config, 'vocabSize' | 'nPositions' | 'nEmbd' | 'nLayer' | 'nInner'>): number {
  const d = c.nEmbd;
  const block = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * c.nInner + c.nInner) + (c.nInner * d + d);
  return c.vocabSize * d + c.nPositions * d + c.nLayer * block + 2 * d;
}

/** config.json of GPT-2 small as Hugging Face publishes it (the fields this package reads). */
export const GPT2_SMALL_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  model_type: 'gpt2',
  architectures: ['GPT2LMHeadModel'],
  activation_function: 'gelu_new',
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_inner: null,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  vocab_size: 50257,
});

/** config.json of GPT-2 medium (`gpt2-medium`): 24 layers × 1024, 16 heads, otherwise as GPT-2 small. */
export const GPT2_MEDIUM_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  ...GPT2_SMALL_CONFIG,
  n_embd: 1024,
  n_head: 16,
  n_layer: 24,
});
