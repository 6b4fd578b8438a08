import * as z from 'zod/mini';
import { ConfigError, booleanField, choiceField, configObject, integerField, numberField, parseConfig, rateField, withDoc, type ModelSpec, type SameType } from '@peft/core';

/** Where a bottleneck adapter sits in each layer. */
export const PLACEMENTS = ['attn-output', 'ffn-output', 'ffn-parallel'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export const ACTIVATIONS = ['relu', 'tanh', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** `bert`: N(0, 0.02) weights, zero biases (KA / HF fast-init). `lora`: down kaiming-uniform(√5), up 0 (HE: a no-op at start). */
export type AdapterInit = 'bert' | 'lora';

/** What a user passes to `adapter(…)`. */
export interface AdapterConfig {
  /** One adapter per layer at each placement given. */
  readonly placement: Placement | readonly Placement[];
  /** The bottleneck size b. Give it or `reductionFactor`. */
  readonly bottleneck?: number;
  /** b = ⌊d / f⌋ (KA's `task_reduction_factor`: 768 // 7.11 = 108, 768 // 18.2 = 42). */
  readonly reductionFactor?: number;
  /** Default 'relu'. 'gelu' is the erf form. */
  readonly activation?: Activation;
  /** LayerNorm on the adapter's input (weight 1, bias 0, trainable). Default false. */
  readonly layerNormBefore?: boolean;
  /** LayerNorm applied last (after the residual when there is one). Default false. */
  readonly layerNormAfter?: boolean;
  /** ε of both LayerNorms. Default 1e-5 (torch.nn.LayerNorm). */
  readonly layerNormEps?: number;
  /** Multiplies the up-projection's output: a number (default 1) or 'learnable' (a trainable scalar, initially 1). */
  readonly scale?: number | 'learnable';
  /** Dropout after the activation (HE); default 0. */
  readonly dropout?: number;
  /** Default 'bert'. */
  readonly init?: AdapterInit;
  /** Sequential adapters return x + adapter(x) when true (default). Parallel adapters never add their input. */
  readonly residual?: boolean;
}

/** The config with every default filled in; what the method stores and an adapter file records. */
export interface ResolvedAdapterConfig {
  readonly placement: readonly Placement[];
  readonly bottleneck?: number;
  readonly reductionFactor?: number;
  readonly activation: Activation;
  readonly layerNormBefore: boolean;
  readonly layerNormAfter: boolean;
  readonly layerNormEps: number;
  readonly scale: number | 'learnable';
  readonly dropout: number;
  readonly init: AdapterInit;
  readonly residual: boolean;
}

const PLACEMENT = choiceField(PLACEMENTS);

/** An adapter config's fields and their checks. */
const ADAPTER_FIELDS = configObject({
  placement: withDoc(
    z.union([PLACEMENT, z.array(PLACEMENT, { error: `must be one of ${PLACEMENTS.join(', ')} or a list of them` })], {
      error: `must be one of ${PLACEMENTS.join(', ')} or a list of them`,
    }),
    {
      expects: `${PLACEMENTS.join(', ')}, or a list of them`,
      description:
        "`'attn-output'` (after W_o, before the residual dropout; KA Pfeiffer), `'ffn-output'` (after the FFN), `'ffn-parallel'` (a term added to the FFN output; its input is the FFN input). One adapter per layer at each; an array places several.",
    },
  ),
  bottleneck: withDoc(z.optional(integerField({ min: 1 }, { expects: 'positive integer', must: 'a positive integer' })), {
    description: 'b. Give this **or** `reductionFactor`.',
  }),
  reductionFactor: withDoc(z.optional(numberField({ above: 0 }, { expects: 'positive number', must: 'a positive number' })), {
    description: "b = ⌊d / f⌋ as KA's `d // task_reduction_factor`: 7.11 → 108, 18.2 → 42 on d = 768.",
  }),
  activation: withDoc(z._default(choiceField(ACTIVATIONS), 'relu'), { description: "`'relu'` (KA and HE configs), `'tanh'`, `'gelu'` (erf form)." }),
  layerNormBefore: withDoc(z._default(booleanField(), false), {
    description:
      'LN on the input, weight 1, bias 0, trainable (KA `add_layer_norm_before_adapter`: true in the Pfeiffer and MAM-inducer configs; HE `"in"`).',
  }),
  layerNormAfter: withDoc(z._default(booleanField(), false), {
    description: 'LN applied last, after the residual (KA `add_layer_norm_after_adapter`, false in every config).',
  }),
  layerNormEps: withDoc(z._default(numberField({ above: 0 }, { expects: 'positive number', must: 'a positive number' }), 1e-5), {
    description: 'ε of both LNs (torch default).',
  }),
  scale: withDoc(z._default(z.union([numberField(), z.literal('learnable')], { error: "must be a finite number or 'learnable'" }), 1), {
    expects: "number or 'learnable'",
    description: "s: a number (HE MAM: 4 on XSum, 2 on GLUE) or `'learnable'` (a trainable scalar starting at 1; HE `learnable_scalar`).",
  }),
  dropout: withDoc(z._default(rateField(), 0), { description: 'after the activation (HE; 0.1 for its parallel adapters; KA has none).' }),
  init: withDoc(z._default(choiceField(['bert', 'lora']), 'bert'), {
    description:
      "`'bert'`: N(0, 0.02) weights, zero biases (what HF fast-init gives KA's adapters — not an identity at start). `'lora'`: down kaiming-uniform(√5) = U(±1/√d), up 0, biases 0 (HE) — the adapter starts as an exact no-op.",
  }),
  residual: withDoc(z._default(booleanField(), true), {
    description: 'sequential adapters return x + h. A parallel adapter never adds its input: the model adds the term to the FFN output.',
  }),
})
  .check(
    z.superRefine((c, ctx) => {
      const placement = Array.isArray(c.placement) ? c.placement : [c.placement];
      if (placement.length === 0) ctx.addIssue({ code: 'custom', path: ['placement'], message: 'give at least one placement' });
      else if (new Set(placement).size !== placement.length) {
        ctx.addIssue({ code: 'custom', path: ['placement'], message: `a placement is repeated in [${placement.join(', ')}]` });
      }
      if ((c.bottleneck === undefined) === (c.reductionFactor === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['bottleneck'], message: 'give exactly one of bottleneck and reductionFactor' });
      }
    }),
  );

/**
 * The one definition of an adapter config: fields, defaults, checks and docs (the README's table is generated from it).
 * Stored configs (adapter_config.json) are read through it too; parsing gives the resolved config.
 */
export const ADAPTER_SCHEMA = z.pipe(
  ADAPTER_FIELDS,
  z.transform(
    (c): ResolvedAdapterConfig => ({
      ...c,
      placement: Array.isArray(c.placement) ? c.placement : [c.placement],
      ...(c.bottleneck !== undefined ? { bottleneck: c.bottleneck } : { reductionFactor: c.reductionFactor! }),
    }),
  ),
);

true satisfies SameType<z.input<typeof ADAPTER_SCHEMA>, AdapterConfig>;

/** Checks every field and fills the defaults; a bad field throws {@link ConfigError} naming `adapter.<field>`. */
export function resolveAdapterConfig(config: AdapterConfig): ResolvedAdapterConfig {
  return parseConfig('adapter', ADAPTER_SCHEMA, config);
}

/** b for a model of hidden size d: the given bottleneck, or ⌊d / f⌋ as KA computes `d // f` (at least 1). */
export function bottleneckSize(config: Pick<ResolvedAdapterConfig, 'bottleneck' | 'reductionFactor'>, spec: Pick<ModelSpec, 'hiddenSize'>): number {
  if (config.bottleneck !== undefined) return config.bottleneck;
  const b = Math.floor(spec.hiddenSize / config.reductionFactor!);
  if (b < 1) throw new ConfigError('adapter.reductionFactor', `${config.reductionFactor} leaves no bottleneck for d = ${spec.hiddenSize}`);
  return b;
}

/** The hook site each placement uses. */
export function isParallel(p: Placement): boolean {
  return p === 'ffn-parallel';
}
