import { ConfigError, refuseUnknownFields, type ModelSpec } from '@peft/core';

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

const ADAPTER_FIELDS = ['placement', 'bottleneck', 'reductionFactor', 'activation', 'layerNormBefore', 'layerNormAfter', 'layerNormEps', 'scale', 'dropout', 'init', 'residual'] as const satisfies readonly (keyof AdapterConfig)[];

/** Checks every field and fills the defaults; a bad field throws {@link ConfigError} naming `adapter.<field>`. */
export function resolveAdapterConfig(config: AdapterConfig): ResolvedAdapterConfig {
  if (typeof config !== 'object' || config === null) throw new ConfigError('adapter', 'config must be an object');
  refuseUnknownFields('adapter', config, ADAPTER_FIELDS);
  const placement = (Array.isArray(config.placement) ? config.placement : [config.placement]) as readonly unknown[];
  if (placement.length === 0) throw new ConfigError('adapter.placement', 'give at least one placement');
  for (const p of placement) {
    if (!(PLACEMENTS as readonly unknown[]).includes(p)) {
      throw new ConfigError('adapter.placement', `unknown placement ${JSON.stringify(p)} (one of ${PLACEMENTS.join(', ')})`);
    }
  }
  if (new Set(placement).size !== placement.length) {
    throw new ConfigError('adapter.placement', `a placement is repeated in [${placement.join(', ')}]`);
  }
  const hasB = config.bottleneck !== undefined;
  const hasF = config.reductionFactor !== undefined;
  if (hasB === hasF) throw new ConfigError('adapter.bottleneck', 'give exactly one of bottleneck and reductionFactor');
  if (hasB && !(Number.isInteger(config.bottleneck) && config.bottleneck! > 0)) {
    throw new ConfigError('adapter.bottleneck', `must be a positive integer, got ${config.bottleneck}`);
  }
  if (hasF && !(typeof config.reductionFactor === 'number' && config.reductionFactor > 0 && Number.isFinite(config.reductionFactor))) {
    throw new ConfigError('adapter.reductionFactor', `must be a positive number, got ${config.reductionFactor}`);
  }
  const activation = config.activation ?? 'relu';
  if (!ACTIVATIONS.includes(activation)) {
    throw new ConfigError('adapter.activation', `unknown activation ${JSON.stringify(activation)} (one of ${ACTIVATIONS.join(', ')})`);
  }
  const scale = config.scale ?? 1;
  if (scale !== 'learnable' && !(typeof scale === 'number' && Number.isFinite(scale))) {
    throw new ConfigError('adapter.scale', `must be a finite number or 'learnable', got ${JSON.stringify(scale)}`);
  }
  const dropout = config.dropout ?? 0;
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) {
    throw new ConfigError('adapter.dropout', `must be in [0, 1), got ${dropout}`);
  }
  const init = config.init ?? 'bert';
  if (init !== 'bert' && init !== 'lora') throw new ConfigError('adapter.init', `must be 'bert' or 'lora', got ${JSON.stringify(init)}`);
  const layerNormEps = config.layerNormEps ?? 1e-5;
  if (!(typeof layerNormEps === 'number' && layerNormEps > 0)) {
    throw new ConfigError('adapter.layerNormEps', `must be a positive number, got ${layerNormEps}`);
  }
  for (const f of ['layerNormBefore', 'layerNormAfter', 'residual'] as const) {
    if (config[f] !== undefined && typeof config[f] !== 'boolean') {
      throw new ConfigError(`adapter.${f}`, `must be a boolean, got ${JSON.stringify(config[f])}`);
    }
  }
  return {
    placement: placement as Placement[],
    ...(hasB ? { bottleneck: config.bottleneck } : { reductionFactor: config.reductionFactor }),
    activation,
    layerNormBefore: config.layerNormBefore ?? false,
    layerNormAfter: config.layerNormAfter ?? false,
    layerNormEps,
    scale,
    dropout,
    init,
    residual: config.residual ?? true,
  };
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
