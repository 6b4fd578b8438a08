import * as z from 'zod/mini';
import {
  LINEAR_SITES,
  booleanField,
  choiceField,
  configObject,
  fieldDoc,
  integerField,
  isLinearSite,
  numberField,
  parseConfig,
  rateField,
  withDoc,
  type LinearSite,
} from '@peft/core';

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

const POSITIVE_INTEGER = integerField({ min: 1 }, { expects: 'positive integer', must: 'a positive integer' });
const POSITIVE_NUMBER = numberField({ above: 0 }, { expects: 'positive number', must: 'a positive number' });

/** One value for every site, or a map site → value (it must name each of the LoRA's sites and no other). */
function perSite(value: typeof POSITIVE_INTEGER | typeof POSITIVE_NUMBER) {
  const { expects, must } = fieldDoc(value);
  return withDoc(z.union([value, z.record(z.string(), value)], { error: `must be ${must} or a map from site to ${must}` }), { expects: `${expects}, or {site: ${expects}}` });
}

/** Per-layer values keyed `<layer>.<site>`. */
function layerMap(value: typeof POSITIVE_INTEGER | typeof POSITIVE_NUMBER) {
  const { expects, must } = fieldDoc(value);
  return withDoc(z.optional(z.record(z.string(), value, { error: `must be a map from '<layer>.<site>' to ${must}` })), { expects: `{'<layer>.<site>': ${expects}}` });
}

const textOrNull = z.optional(z.nullable(z.string({ error: 'must be a string or null' })));

/** A LoRA config's fields and their checks. */
const LORA_FIELDS = configObject({
  sites: withDoc(
    z._default(
      z.union(
        [
          z.literal('all'),
          z
            .array(z.string(), { error: `must be 'all' or a non-empty list of linear sites (${LINEAR_SITES.join(', ')})` })
            .check(z.minLength(1, { error: `must be 'all' or a non-empty list of linear sites (${LINEAR_SITES.join(', ')})` })),
        ],
        { error: `must be 'all' or a non-empty list of linear sites (${LINEAR_SITES.join(', ')})` },
      ),
      [...LORA_DEFAULTS.sites],
    ),
    {
      expects: `'all', or a list of ${LINEAR_SITES.join(', ')}`,
      reference: "KA inducer-lora: `['attn.q']`; LoRA-54 baseline: q, v",
      description: "the linear sites that get a low-rank update (stored in the order above); `'all'`: every linear site of the model",
    },
  ),
  allSites: withDoc(z.optional(z.literal(true, { error: 'must be true when present' })), {
    defaultText: 'absent',
    description: "how a stored config says `sites: 'all'` (the sites then listed are the model's)",
  }),
  rank: withDoc(z._default(perSite(POSITIVE_INTEGER), LORA_DEFAULTS.rank), {
    reference: 'KA NLG 24 (inducer-lora), 16 (MAM), 54 (baseline); NLU 4; HE 16',
    description: 'r: one number, or `{site: r}` for every site',
  }),
  alpha: withDoc(z._default(perSite(POSITIVE_NUMBER), LORA_DEFAULTS.alpha), {
    reference: '32 everywhere',
    description: 'α: one number or per site',
  }),
  dropout: withDoc(z._default(rateField(), LORA_DEFAULTS.dropout), {
    reference: "0.1 in every shipped config (set by the recipes' presets)",
    description: 'dropout on the input x, training only',
  }),
  flavour: withDoc(z._default(choiceField(['ka', 'loralib']), LORA_DEFAULTS.flavour), {
    reference: "KA NLG: `'ka'`; KA/HE NLU: `'loralib'`",
    description: "`ka`: KA's `LoRALinear`, a trainable bias and scaling α/r only when α > 1.5; `loralib`: no bias, α/r always (see below)",
  }),
  rslora: withDoc(z.optional(booleanField()), {
    defaultText: 'false',
    reference: "HF PEFT's `use_rslora`",
    description: "scaling α/√r instead of α/r (rsLoRA, Kalajdzievski 2023); `'loralib'` flavour only",
  }),
  layers: withDoc(
    z.optional(
      z
        .array(integerField({ min: 0 }), { error: 'must be a non-empty list of layer indices (integers ≥ 0)' })
        .check(z.minLength(1, { error: 'must be a non-empty list of layer indices (integers ≥ 0)' })),
    ),
    { expects: 'list of layer indices', defaultText: 'every layer', reference: "HF PEFT's `layers_to_transform`", description: 'the layers (0-based) that get LoRA' },
  ),
  layerRank: withDoc(layerMap(POSITIVE_INTEGER), {
    reference: "HF PEFT's layer-specific `rank_pattern`",
    description: 'per-layer ranks that differ from `rank` at that site, keyed `<layer>.<site>` (`1.attn.q`)',
  }),
  layerAlpha: withDoc(layerMap(POSITIVE_NUMBER), {
    reference: "HF PEFT's layer-specific `alpha_pattern`",
    description: 'per-layer α that differ from `alpha` at that site, keyed `<layer>.<site>`',
  }),
  hf: withDoc(z.optional(configObject({ baseModelNameOrPath: textOrNull, taskType: textOrNull })), {
    expects: '{ baseModelNameOrPath?, taskType? }',
    description: "written to HF's adapter_config.json",
  }),
}).check(
  z.superRefine((c, ctx) => {
    const fail = (path: (string | number)[], message: string): void => void ctx.addIssue({ code: 'custom', path, message });
    const seen = new Set<string>();
    const all = c.sites === 'all' || c.allSites === true;
    if (all) {
      for (const field of ['rank', 'alpha'] as const) {
        if (typeof c[field] !== 'number') return fail([field], "must be one number with sites 'all' (a per-site map needs the sites listed)");
      }
    }
    for (const s of all ? LINEAR_SITES : (c.sites as readonly string[])) {
      if (!isLinearSite(s)) return fail(['sites'], `'${s}' is not a linear site (${LINEAR_SITES.join(', ')})`);
      if (seen.has(s)) return fail(['sites'], `site '${s}' is listed twice`);
      seen.add(s);
    }
    for (const field of ['rank', 'alpha'] as const) {
      const v = c[field];
      if (typeof v === 'number') continue;
      const listed = [...seen];
      for (const k of Object.keys(v)) if (!seen.has(k)) return fail([field, k], `is not one of the LoRA sites (${listed.join(', ')})`);
      for (const k of listed) if (v[k] === undefined) return fail([field, k], `must be given for every site (${listed.join(', ')})`);
    }
    if (c.rslora && c.flavour === 'ka') return fail(['rslora'], "applies to the 'loralib' flavour only (KA's scaling has its own rule)");
    if (c.layers && new Set(c.layers).size !== c.layers.length) return fail(['layers'], `lists a layer twice: ${JSON.stringify(c.layers)}`);
    for (const field of ['layerRank', 'layerAlpha'] as const) {
      for (const k of Object.keys(c[field] ?? {})) {
        const m = /^(\d+)\.(.+)$/.exec(k);
        if (!m || !seen.has(m[2]!)) return fail([field, k], `is not '<layer>.<site>' with one of the LoRA sites (${[...seen].join(', ')})`);
      }
    }
  }),
);

/**
 * The one definition of a LoRA config: fields, defaults (Hugging Face PEFT's LoraConfig), checks and docs (the README's
 * table is generated from it). Stored configs (adapter_config.json) are read through it too; parsing gives the resolved
 * config.
 */
export const LORA_SCHEMA = z.pipe(
  LORA_FIELDS,
  z.transform((c): LoraConfig => {
    // canonical order, so that two configs naming the same sites are equal
    const allSites = c.sites === 'all' || c.allSites === true;
    const sites = allSites ? [...LINEAR_SITES] : LINEAR_SITES.filter((s) => (c.sites as readonly string[]).includes(s));
    const bySite = (v: number | Record<string, number>): PerSite<number> =>
      typeof v === 'number' ? v : Object.fromEntries(sites.map((s) => [s, v[s]!]));
    return {
      sites,
      ...(allSites ? { allSites: true as const } : {}),
      rank: bySite(c.rank),
      alpha: bySite(c.alpha),
      dropout: c.dropout,
      flavour: c.flavour,
      ...(c.rslora ? { rslora: true } : {}),
      ...(c.layers ? { layers: [...c.layers].sort((a, b) => a - b) } : {}),
      ...(c.layerRank ? { layerRank: c.layerRank } : {}),
      ...(c.layerAlpha ? { layerAlpha: c.layerAlpha } : {}),
      ...(c.hf ? { hf: c.hf } : {}),
    };
  }),
);

/** Fills defaults and validates; throws {@link ConfigError} naming the field at fault. */
export function resolveLoraConfig(options: unknown): LoraConfig {
  return parseConfig('lora', LORA_SCHEMA, options === undefined ? {} : options);
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
