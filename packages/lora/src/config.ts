import { ConfigError, LINEAR_SITES, refuseUnknownFields, isLinearSite, type LinearSite } from '@peft/core';

/**
 * - `ka`: Chen et al.'s NLG `LoRALinear` (KA `low_rank_layer.py`): a trainable bias b [d_out], scaled like the
 *   update, and scaling = α/r only when α > 1.5, else 1.
 * - `loralib`: Hu et al.'s microsoft/LoRA `Linear` (He et al., KA NLU, Hugging Face PEFT): no bias, scaling α/r always.
 */
export type LoraFlavour = 'ka' | 'loralib';

/** A value for every site, or one value shared by all. */
export type PerSite<T> = T | Partial<Record<LinearSite, T>>;

/** Optional fields written into a Hugging Face PEFT adapter_config.json. */
export interface HuggingFaceFields {
  /** `base_model_name_or_path` (default null). */
  readonly baseModelNameOrPath?: string | null;
  /** `task_type` (default: the model's usual task head, `spec.hf.taskType`: `CAUSAL_LM` for GPT-2, `SEQ_CLS` for RoBERTa). */
  readonly taskType?: string | null;
}

/** The resolved, validated configuration of a LoRA method (what adapter_config.json stores under `peft_method`). */
export interface LoraConfig {
  /** The linear sites that get a low-rank update (every linear site when `allSites`). */
  readonly sites: readonly LinearSite[];
  /**
   * `sites: 'all'` as given: every linear site of the model the method is initialised on (a model without a gated
   * FFN has no `ffn.gate`); the instance's method then lists them. rank and alpha are one number each.
   */
  readonly allSites?: true;
  /** r, per site or shared. */
  readonly rank: PerSite<number>;
  /** α, per site or shared. */
  readonly alpha: PerSite<number>;
  /** Dropout rate on the update's input x (training only). */
  readonly dropout: number;
  readonly flavour: LoraFlavour;
  /**
   * rsLoRA (Kalajdzievski 2023; HF PEFT's `use_rslora`): scaling α/√r instead of α/r. `loralib` flavour only.
   * Default false.
   */
  readonly rslora?: boolean;
  /** The layers (0-based) that get LoRA, ascending (HF PEFT's `layers_to_transform`); absent: every layer. */
  readonly layers?: readonly number[];
  /**
   * Per-layer ranks that differ from `rank` at that site, keyed `<layer>.<site>` (`1.attn.q`): what HF PEFT's
   * layer-specific `rank_pattern` keys (`h.1.attn.c_attn`) express.
   */
  readonly layerRank?: Readonly<Record<string, number>>;
  /** Per-layer α that differ from `alpha` at that site, keyed `<layer>.<site>` (HF PEFT's layer-specific `alpha_pattern`). */
  readonly layerAlpha?: Readonly<Record<string, number>>;
  readonly hf?: HuggingFaceFields;
}

/**
 * What `lora()` accepts: every field has a default (Hugging Face PEFT's LoraConfig defaults); `sites: 'all'` is every
 * linear site of the model.
 */
export type LoraOptions = Omit<Partial<LoraConfig>, 'sites'> & { readonly sites?: readonly LinearSite[] | 'all' };

export const LORA_DEFAULTS = {
  sites: ['attn.q', 'attn.v'] as readonly LinearSite[],
  rank: 8,
  alpha: 8,
  dropout: 0,
  flavour: 'loralib' as LoraFlavour,
} as const;

const KNOWN_FIELDS = ['sites', 'allSites', 'rank', 'alpha', 'dropout', 'flavour', 'rslora', 'layers', 'layerRank', 'layerAlpha', 'hf'] as const;

/** Fills defaults and validates; throws {@link ConfigError} naming the field at fault. */
export function resolveLoraConfig(options: unknown): LoraConfig {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError('lora', `config must be an object, got ${JSON.stringify(options)}`);
  }
  const o = options as Record<string, unknown>;
  refuseUnknownFields('lora', o, KNOWN_FIELDS);
  if (o.allSites !== undefined && o.allSites !== true) throw new ConfigError('lora.allSites', `must be true when present, got ${JSON.stringify(o.allSites)}`);
  const allSites = o.sites === 'all' || o.allSites === true;
  const sites = allSites ? [...LINEAR_SITES] : resolveSites(o.sites ?? LORA_DEFAULTS.sites);
  if (allSites) {
    for (const f of ['rank', 'alpha'] as const) {
      if (o[f] !== undefined && typeof o[f] !== 'number') throw new ConfigError(`lora.${f}`, `must be one number with sites 'all' (a per-site map needs the sites listed), got ${JSON.stringify(o[f])}`);
    }
  }
  const rank = resolvePerSite('lora.rank', o.rank ?? LORA_DEFAULTS.rank, sites, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  const alpha = resolvePerSite('lora.alpha', o.alpha ?? LORA_DEFAULTS.alpha, sites, (v) => Number.isFinite(v) && v > 0, 'a positive number');
  const dropout = o.dropout ?? LORA_DEFAULTS.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new ConfigError('lora.dropout', `must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  }
  const flavour = o.flavour ?? LORA_DEFAULTS.flavour;
  if (flavour !== 'ka' && flavour !== 'loralib') {
    throw new ConfigError('lora.flavour', `must be 'ka' or 'loralib', got ${JSON.stringify(flavour)}`);
  }
  let config: LoraConfig = { sites, ...(allSites ? { allSites: true as const } : {}), rank, alpha, dropout, flavour };
  if (o.rslora !== undefined && o.rslora !== false) {
    if (o.rslora !== true) throw new ConfigError('lora.rslora', `must be true or false, got ${JSON.stringify(o.rslora)}`);
    if (flavour === 'ka') throw new ConfigError('lora.rslora', "applies to the 'loralib' flavour only (KA's scaling has its own rule)");
    config = { ...config, rslora: true };
  }
  if (o.layers !== undefined) config = { ...config, layers: resolveLayers(o.layers) };
  if (o.layerRank !== undefined) {
    config = { ...config, layerRank: resolveLayerMap('lora.layerRank', o.layerRank, sites, (v) => Number.isInteger(v) && v > 0, 'a positive integer') };
  }
  if (o.layerAlpha !== undefined) {
    config = { ...config, layerAlpha: resolveLayerMap('lora.layerAlpha', o.layerAlpha, sites, (v) => Number.isFinite(v) && v > 0, 'a positive number') };
  }
  if (o.hf === undefined) return config;
  return { ...config, hf: resolveHf(o.hf) };
}

function resolveLayers(v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new ConfigError('lora.layers', `must be a non-empty list of layer indices (integers ≥ 0), got ${JSON.stringify(v)}`);
  }
  const out = [...new Set(v as number[])].sort((a, b) => a - b);
  if (out.length !== v.length) throw new ConfigError('lora.layers', `lists a layer twice: ${JSON.stringify(v)}`);
  return out;
}

function resolveLayerMap(field: string, v: unknown, sites: readonly LinearSite[], ok: (x: number) => boolean, what: string): Record<string, number> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(field, `must be a map from '<layer>.<site>' to ${what}`);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const m = /^(\d+)\.(.+)$/.exec(k);
    if (!m || !sites.includes(m[2] as LinearSite)) throw new ConfigError(`${field}.${k}`, `is not '<layer>.<site>' with one of the LoRA sites (${sites.join(', ')})`);
    if (typeof x !== 'number' || !ok(x)) throw new ConfigError(`${field}.${k}`, `must be ${what}, got ${JSON.stringify(x)}`);
    out[k] = x;
  }
  return out;
}

function resolveSites(v: unknown): LinearSite[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new ConfigError('lora.sites', `must be a non-empty list of linear sites (${LINEAR_SITES.join(', ')}), got ${JSON.stringify(v)}`);
  }
  const seen = new Set<string>();
  for (const s of v) {
    if (typeof s !== 'string' || !isLinearSite(s)) {
      throw new ConfigError('lora.sites', `'${String(s)}' is not a linear site (${LINEAR_SITES.join(', ')})`);
    }
    if (seen.has(s)) throw new ConfigError('lora.sites', `site '${s}' is listed twice`);
    seen.add(s);
  }
  // canonical order, so that two configs naming the same sites are equal
  return LINEAR_SITES.filter((s) => seen.has(s));
}

function resolvePerSite(
  field: string,
  v: unknown,
  sites: readonly LinearSite[],
  ok: (x: number) => boolean,
  what: string,
): PerSite<number> {
  if (typeof v === 'number') {
    if (!ok(v)) throw new ConfigError(field, `must be ${what}, got ${v}`);
    return v;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ConfigError(field, `must be ${what} or a map from site to ${what}, got ${JSON.stringify(v)}`);
  }
  const m = v as Record<string, unknown>;
  for (const k of Object.keys(m)) {
    if (!sites.includes(k as LinearSite)) throw new ConfigError(`${field}.${k}`, `is not one of the LoRA sites (${sites.join(', ')})`);
  }
  const out: Partial<Record<LinearSite, number>> = {};
  for (const s of sites) {
    const x = m[s];
    if (typeof x !== 'number' || !ok(x)) throw new ConfigError(`${field}.${s}`, `must be ${what}, got ${JSON.stringify(x)}`);
    out[s] = x;
  }
  return out;
}

function resolveHf(v: unknown): HuggingFaceFields {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError('lora.hf', 'must be an object');
  const o = v as Record<string, unknown>;
  refuseUnknownFields('lora.hf', o, ['baseModelNameOrPath', 'taskType']);
  for (const k of Object.keys(o)) {
    if (o[k] !== null && typeof o[k] !== 'string') throw new ConfigError(`lora.hf.${k}`, 'must be a string or null');
  }
  return o as HuggingFaceFields;
}

/** The value of a per-site field at `site`. */
export function atSite(v: PerSite<number>, site: LinearSite): number {
  return typeof v === 'number' ? v : v[site]!;
}

/**
 * The update's scale: KA's `LoRALinear` uses α/r only when α > 1.5 (else 1); loralib and HF PEFT use α/r always, or
 * α/√r with rsLoRA.
 */
export function loraScaling(flavour: LoraFlavour, alpha: number, rank: number, rslora = false): number {
  if (flavour === 'ka') return alpha > 1.5 ? alpha / rank : 1;
  return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/** The layers that get LoRA on a model of `numLayers` layers. */
export function loraLayers(c: LoraConfig, numLayers: number): number[] {
  return c.layers ? [...c.layers] : Array.from({ length: numLayers }, (_, i) => i);
}

/** r of `site` at `layer`: its per-layer value, else the site's. */
export function rankAt(c: LoraConfig, layer: number, site: LinearSite): number {
  return c.layerRank?.[`${layer}.${site}`] ?? atSite(c.rank, site);
}

/** α of `site` at `layer`: its per-layer value, else the site's. */
export function alphaAt(c: LoraConfig, layer: number, site: LinearSite): number {
  return c.layerAlpha?.[`${layer}.${site}`] ?? atSite(c.alpha, site);
}

/** The update's scale at `site` of `layer`. */
export function scalingAt(c: LoraConfig, layer: number, site: LinearSite): number {
  return loraScaling(c.flavour, alphaAt(c, layer, site), rankAt(c, layer, site), c.rslora === true);
}
