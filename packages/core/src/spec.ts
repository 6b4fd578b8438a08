import { ConfigError } from './errors.js';

/**
 * The shape of a transformer, as much as a method needs to create its parameters. A method never sees the model
 * itself, only this.
 */
export interface ModelSpec {
  /** `gpt2` (pre-LN decoder, causal) or `roberta` (post-LN encoder); methods use it for placement quirks only. */
  readonly architecture: 'gpt2' | 'roberta';
  readonly numLayers: number;
  /** d, the model (hidden) size. */
  readonly hiddenSize: number;
  /** N_h. */
  readonly numHeads: number;
  /** p = d / N_h. */
  readonly headDim: number;
  /** The FFN inner size (3072 for GPT-2 small and RoBERTa-base). */
  readonly intermediateSize: number;
  /** Vocabulary size, when the method needs it (e.g. to validate an adapter file). */
  readonly vocabSize?: number;
}

export function validateModelSpec(spec: ModelSpec): ModelSpec {
  if (spec.architecture !== 'gpt2' && spec.architecture !== 'roberta') {
    throw new ConfigError('architecture', `must be 'gpt2' or 'roberta', got ${JSON.stringify(spec.architecture)}`);
  }
  for (const f of ['numLayers', 'hiddenSize', 'numHeads', 'headDim', 'intermediateSize'] as const) {
    const v = spec[f];
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(f, `must be a positive integer, got ${v}`);
  }
  if (spec.numHeads * spec.headDim !== spec.hiddenSize) {
    throw new ConfigError('headDim', `numHeads·headDim = ${spec.numHeads}·${spec.headDim} ≠ hiddenSize ${spec.hiddenSize}`);
  }
  return spec;
}

/** The fields two specs must share for an adapter trained on one to load into the other. */
export const SPEC_IDENTITY_FIELDS = ['architecture', 'numLayers', 'hiddenSize', 'numHeads', 'headDim', 'intermediateSize'] as const;
