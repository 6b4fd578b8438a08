import { ConfigError, refuseUnknownFields, type ModelSpec } from '@peft/core';

/** The resolved, validated configuration of inducer-tuning (stored in adapter_config.json under `peft_method`). */
export interface InducerConfig {
  /**
   * r_k, KA's `prefix_length`. ≥ 2: P_k = Q + MLP_k(Q) with a per-head tanh MLP of width r_k. 1: P_k = Q (no MLP_k).
   * 0: the adaptive variant, P_k = Q with the logit scaled by √i (i = 1-based absolute query position).
   */
  readonly keyRank: number;
  /** r_v, KA's `prefix_dim`: width of the value MLP. */
  readonly valueRank: number;
  /**
   * true (KA default): MLP_v̄ maps the heads jointly to the model dimension after W_o, Σ_h λ_h·tanh(QW1_h + b1_h)·W2_h + b2,
   * with b2 not λ-weighted. false: a per-head MLP_v whose whole output, bias included, is weighted by λ and added to the
   * head's attention output before W_o.
   */
  readonly valueExtension: boolean;
  /** false (default): f(Q) + λ·m (paper eq. 8). true: the gating ablation, (1 − λ)·f(Q) + λ·m. */
  readonly gating: boolean;
  /** W2 of MLP_v̄ shared across heads ([r_v, d] instead of [H, r_v, d]); needs `valueExtension`. */
  readonly headShare: boolean;
  /**
   * The dropout rate the reference applies to λ (its attention dropout, attn_pdrop = 0.1). The inducer applies no
   * dropout itself: λ's dropout is the attention kernel's, at the rate the model gives its attention dropout, with its
   * own mask, exactly once. This field states the rate a faithful model must use; see README "λ's dropout".
   */
  readonly lambdaDropout: number;
  /**
   * KA RoBERTa quirk: λ's softmax is taken before the padding mask, so padded keys count in λ's denominator. Omitted:
   * true for RoBERTa (faithful), false for GPT-2.
   */
  readonly lambdaIgnoresPaddingMask?: boolean;
}

export type InducerOptions = Partial<InducerConfig>;

/** KA NLG `inducer-lora.json`: r_k = 5, r_v = 12, extension, no gating; λ dropout = GPT-2's attn_pdrop. */
export const INDUCER_DEFAULTS = {
  keyRank: 5,
  valueRank: 12,
  valueExtension: true,
  gating: false,
  headShare: false,
  lambdaDropout: 0.1,
} as const;

const FIELDS = ['keyRank', 'valueRank', 'valueExtension', 'gating', 'headShare', 'lambdaDropout', 'lambdaIgnoresPaddingMask'];

/** Fills defaults and validates; throws {@link ConfigError} naming the field at fault. */
export function resolveInducerConfig(options: unknown): InducerConfig {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError('inducer', `config must be an object, got ${JSON.stringify(options)}`);
  }
  const o = options as Record<string, unknown>;
  refuseUnknownFields('inducer', o, FIELDS);
  const int = (k: string, min: number, def: number): number => {
    const v = o[k] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new ConfigError(`inducer.${k}`, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const bool = (k: string, def: boolean): boolean => {
    const v = o[k] ?? def;
    if (typeof v !== 'boolean') throw new ConfigError(`inducer.${k}`, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const keyRank = int('keyRank', 0, INDUCER_DEFAULTS.keyRank);
  const valueRank = int('valueRank', 1, INDUCER_DEFAULTS.valueRank);
  const valueExtension = bool('valueExtension', INDUCER_DEFAULTS.valueExtension);
  const gating = bool('gating', INDUCER_DEFAULTS.gating);
  const headShare = bool('headShare', INDUCER_DEFAULTS.headShare);
  if (headShare && !valueExtension) {
    throw new ConfigError('inducer.headShare', 'a shared W2 exists only in the extended value MLP: set valueExtension to true');
  }
  const lambdaDropout = o.lambdaDropout ?? INDUCER_DEFAULTS.lambdaDropout;
  if (typeof lambdaDropout !== 'number' || !(lambdaDropout >= 0 && lambdaDropout < 1)) {
    throw new ConfigError('inducer.lambdaDropout', `must be a number in [0, 1), got ${JSON.stringify(lambdaDropout)}`);
  }
  const config: InducerConfig = { keyRank, valueRank, valueExtension, gating, headShare, lambdaDropout };
  if (o.lambdaIgnoresPaddingMask === undefined) return config;
  return { ...config, lambdaIgnoresPaddingMask: bool('lambdaIgnoresPaddingMask', false) };
}

/**
 * Whether λ's softmax ignores the padding mask: the config's choice, else the model's reference quirk (the authors'
 * RoBERTa code; `spec.quirks.lambdaIgnoresPaddingMask`).
 */
export function lambdaIgnoresPaddingMask(config: InducerConfig, spec: ModelSpec): boolean {
  return config.lambdaIgnoresPaddingMask ?? spec.quirks?.lambdaIgnoresPaddingMask === true;
}
