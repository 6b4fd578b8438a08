import * as z from 'zod/mini';
import { booleanField, configObject, integerField, parseConfig, rateField, withDoc, type ModelSpec, type SameType } from '@peft/core';

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

/** What `inducer()` accepts: every field has a default. */
export type InducerOptions = z.input<typeof INDUCER_SCHEMA>;

/** KA NLG `inducer-lora.json`: r_k = 5, r_v = 12, extension, no gating; λ dropout = GPT-2's attn_pdrop. */
export const INDUCER_DEFAULTS = {
  keyRank: 5,
  valueRank: 12,
  valueExtension: true,
  gating: false,
  headShare: false,
  lambdaDropout: 0.1,
} as const;

/**
 * The one definition of an inducer config: its fields, defaults, checks and docs (the README's table is generated from
 * it: `npm run docs:options`). Stored configs (adapter_config.json) are read through it too.
 */
export const INDUCER_SCHEMA = configObject({
  keyRank: withDoc(z._default(integerField({ min: 0 }), INDUCER_DEFAULTS.keyRank), {
    reference: '`prefix_length`; NLG 5 (inducer-lora), 10 (no LoRA), 3 (MAM); NLU 2, 6',
    description:
      'r_k. ≥ 2: P_k = Q + tanh(Q·A_h + b1_h)·B_h + b2_h per head. 1: P_k = Q. 0: the *adaptive* variant, logit ⟨Q_i, Q_i⟩·√i/√p with i = queryOffset + local index + 1 (1-based absolute position, so it is right with a KV cache).',
  }),
  valueRank: withDoc(z._default(integerField({ min: 1 }), INDUCER_DEFAULTS.valueRank), {
    reference: '`prefix_dim`; NLG 12, 15, 7; NLU 4, 2',
    description: 'r_v, width of the value MLP.',
  }),
  valueExtension: withDoc(z._default(booleanField(), INDUCER_DEFAULTS.valueExtension), {
    reference: '`prefix_value_extension` (true in every shipped config)',
    description:
      'true: MLP_v̄ after W_o, E_i = Σ_h λ_h,i·tanh(Q_h,i W1_h + b1_h)·W2_h + b2, through `afterOutput`; **b2 is not λ-weighted** (quirk 2). false: a per-head MLP_v whose whole output, bias included, is weighted by λ and added to the head output before W_o (returned as the per-query support value in residual mode).',
  }),
  gating: withDoc(z._default(booleanField(), INDUCER_DEFAULTS.gating), {
    reference: '`prefix_gating_ablation`',
    description: 'true: absolute mode, (1 − λ)·f(Q) + λ·m (the "Gating" ablation). false: f(Q) + λ·m, the PLM attention is not scaled (quirk 1).',
  }),
  headShare: withDoc(z._default(booleanField(), INDUCER_DEFAULTS.headShare), {
    reference: '`prefix_head_share`',
    description: 'W2 shared across heads ([r_v, d]); needs `valueExtension` (KA forces it; here it is a `ConfigError`).',
  }),
  lambdaDropout: withDoc(z._default(rateField(), INDUCER_DEFAULTS.lambdaDropout), {
    reference: 'GPT-2 `attn_pdrop`, RoBERTa `attention_probs_dropout_prob`',
    description: "the rate of λ's dropout in the reference; see below.",
  }),
  lambdaIgnoresPaddingMask: withDoc(z.optional(booleanField()), {
    defaultText: 'true for `roberta`, false for `gpt2`',
    reference: 'KA NLU quirk (spec §3.2, quirk 5)',
    description: "λ's softmax taken before the padding mask, so padded keys count in its denominator. Set `false` to mask λ like the attention.",
  }),
}).check(
  z.superRefine((c, ctx) => {
    if (c.headShare && !c.valueExtension) {
      ctx.addIssue({ code: 'custom', path: ['headShare'], message: 'a shared W2 exists only in the extended value MLP: set valueExtension to true' });
    }
  }),
);

true satisfies SameType<z.output<typeof INDUCER_SCHEMA>, InducerConfig>;

/** Fills defaults and validates; throws {@link ConfigError} naming the field at fault. */
export function resolveInducerConfig(options: unknown): InducerConfig {
  return parseConfig('inducer', INDUCER_SCHEMA, options === undefined ? {} : options);
}

/**
 * Whether λ's softmax ignores the padding mask: the config's choice, else the model's reference quirk (the authors'
 * RoBERTa code; `spec.quirks.lambdaIgnoresPaddingMask`).
 */
export function lambdaIgnoresPaddingMask(config: InducerConfig, spec: ModelSpec): boolean {
  return config.lambdaIgnoresPaddingMask ?? spec.quirks?.lambdaIgnoresPaddingMask === true;
}
