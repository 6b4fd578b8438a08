import { ConfigError } from './errors.js';
import { LINEAR_SITES, type LinearSite } from './sites.js';

/** How a model tells positions apart: learned absolute embeddings added to the input (GPT-2, RoBERTa), or rotary. */
export type PositionScheme = 'learned-absolute' | 'rotary';

/** The normalisation a model's layers use. */
export type NormKind = 'layer-norm' | 'rms-norm';

/** A linear site's sizes: x [..., inFeatures] → y [..., outFeatures]. */
export interface SiteShape {
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** A Hugging Face module that a method can target, with the @peft sites it covers. */
export interface HfModuleFacts {
  /** Module path below the layer's prefix: `attn.c_attn`, `attention.self.query`, `self_attn.q_proj`. */
  readonly name: string;
  /** The sites its output columns hold, in order (GPT-2's `c_attn` holds q | k | v). */
  readonly sites: readonly LinearSite[];
  /**
   * A regex that HF PEFT's `get_pattern_key` (`(.*\.)?(KEY)$`) matches against this module only; the key of
   * `rank_pattern` / `alpha_pattern`.
   */
  readonly pattern: string;
}

/** How Hugging Face names a model's parts, for adapter files that PEFT reads. */
export interface HfModelFacts {
  /** The path of the layer list in the task model, without the index: `transformer.h`, `roberta.encoder.layer`, `model.layers`. */
  readonly layersPath: string;
  readonly modules: readonly HfModuleFacts[];
  /** Weights stored [in, out] (GPT-2's Conv1D): PEFT's `fan_in_fan_out`. */
  readonly fanInFanOut: boolean;
  /** PEFT's `task_type` for the model's usual task head. */
  readonly taskType: 'CAUSAL_LM' | 'SEQ_CLS';
  /** The task head's module (`modules_to_save`), when the model has one that adapters train (RoBERTa's `classifier`). */
  readonly headModule?: string;
}

/** Behaviours of the authors' reference code for a model that @peft reproduces by default (spec: the reference's quirks). */
export interface ReferenceQuirks {
  /** Inducer-tuning's λ softmax is taken before the padding mask (the authors' RoBERTa code). */
  readonly lambdaIgnoresPaddingMask?: boolean;
}

/**
 * The shape of a transformer, as much as a method needs: facts that the model owns and methods read. A method never
 * sees the model itself, and never branches on `architecture`.
 */
export interface ModelSpec {
  /** The model's family, as its config.json names it (`gpt2`, `roberta`, `llama`, `qwen2`, …); for messages and files. */
  readonly architecture: string;
  readonly numLayers: number;
  /** d, the model (hidden) size. */
  readonly hiddenSize: number;
  /** N_h, the query heads. */
  readonly numHeads: number;
  /** p, the head size (d / N_h unless the config says otherwise). */
  readonly headDim: number;
  /** The FFN inner size (3072 for GPT-2 small and RoBERTa-base). */
  readonly intermediateSize: number;
  /** Vocabulary size, when the method needs it (e.g. to validate an adapter file). */
  readonly vocabSize?: number;
  /** Key/value heads (grouped-query attention); default `numHeads`. */
  readonly numKeyValueHeads?: number;
  /**
   * The linear sites the layers have and their sizes. Default: q, k, v, o and a dense FFN (`ffn.in`, `ffn.out`), with
   * k and v mapping d → numKeyValueHeads·p.
   */
  readonly linearSites?: Readonly<Partial<Record<LinearSite, SiteShape>>>;
  /** Default `learned-absolute`. */
  readonly positions?: PositionScheme;
  /** Default `layer-norm`. */
  readonly norm?: NormKind;
  /** Whether attention is causal (a decoder); default true. */
  readonly causal?: boolean;
  /**
   * Whether the positions of new tokens start after the cached length when the model is fed past keys/values (Hugging
   * Face decoders: GPT-2, Llama), so that prefix-tuning's L virtual tokens shift them by L. Default false.
   */
  readonly pastShiftsPositions?: boolean;
  /** Hugging Face's names of the model's parts; absent, adapters of this model cannot be written in PEFT's layout. */
  readonly hf?: HfModelFacts;
  readonly quirks?: ReferenceQuirks;
}

/** The key/value heads of a model (= query heads without grouped-query attention). */
export function keyValueHeads(spec: ModelSpec): number {
  return spec.numKeyValueHeads ?? spec.numHeads;
}

/** The default linear sites of a model that does not list its own: attention and a dense (ungated) FFN. */
function defaultSiteShape(spec: ModelSpec, site: LinearSite): SiteShape | undefined {
  const d = spec.hiddenSize;
  const q = spec.numHeads * spec.headDim;
  const kv = keyValueHeads(spec) * spec.headDim;
  switch (site) {
    case 'attn.q':
      return { inFeatures: d, outFeatures: q };
    case 'attn.k':
    case 'attn.v':
      return { inFeatures: d, outFeatures: kv };
    case 'attn.o':
      return { inFeatures: q, outFeatures: d };
    case 'ffn.in':
      return { inFeatures: d, outFeatures: spec.intermediateSize };
    case 'ffn.out':
      return { inFeatures: spec.intermediateSize, outFeatures: d };
    case 'ffn.gate':
      return undefined;
  }
}

/** The sizes of a linear site, or undefined when the model has no such site (GPT-2 has no `ffn.gate`). */
export function siteShape(spec: ModelSpec, site: LinearSite): SiteShape | undefined {
  return spec.linearSites ? spec.linearSites[site] : defaultSiteShape(spec, site);
}

/** The sizes of a linear site the model must have; a {@link ConfigError} names the site otherwise. */
export function requireSiteShape(spec: ModelSpec, site: LinearSite): SiteShape {
  const shape = siteShape(spec, site);
  if (!shape) throw new ConfigError('sites', `a ${spec.architecture} model has no '${site}' site (it has ${modelLinearSites(spec).join(', ')})`);
  return shape;
}

/** The linear sites the model has, in contract order. */
export function modelLinearSites(spec: ModelSpec): LinearSite[] {
  return LINEAR_SITES.filter((s) => siteShape(spec, s) !== undefined);
}

export function validateModelSpec(spec: ModelSpec): ModelSpec {
  const family: unknown = spec.architecture; // a name for messages and files, never a switch
  if (typeof family !== 'string' || family.length === 0) {
    throw new ConfigError('architecture', `must be a non-empty string, got ${JSON.stringify(family)}`);
  }
  for (const f of ['numLayers', 'hiddenSize', 'numHeads', 'headDim', 'intermediateSize'] as const) {
    const v = spec[f];
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(f, `must be a positive integer, got ${v}`);
  }
  const kv = keyValueHeads(spec);
  if (!Number.isInteger(kv) || kv <= 0 || spec.numHeads % kv !== 0) {
    throw new ConfigError('numKeyValueHeads', `must be a positive divisor of numHeads ${spec.numHeads}, got ${kv}`);
  }
  if (!spec.linearSites && spec.numHeads * spec.headDim !== spec.hiddenSize) {
    throw new ConfigError('headDim', `numHeads·headDim = ${spec.numHeads}·${spec.headDim} ≠ hiddenSize ${spec.hiddenSize}`);
  }
  for (const site of ['attn.q', 'attn.k', 'attn.v', 'attn.o'] as const) {
    if (!siteShape(spec, site)) throw new ConfigError('linearSites', `a model needs the attention site '${site}'`);
  }
  return spec;
}

/** The fields two specs must share for an adapter trained on one to load into the other. */
export const SPEC_IDENTITY_FIELDS = ['architecture', 'numLayers', 'hiddenSize', 'numHeads', 'headDim', 'intermediateSize'] as const;
