import { ConfigError, LINEAR_SITES, isLinearSite, refuseUnknownFields, type LinearSite } from '@peft/core';

/**
 * Where IA³ puts a scaling vector: a linear site's output (y ∘ l, l of the site's output size) or `ffn.act`, the FFN's
 * intermediate activation (g ∘ l_ff, l_ff of the FFN's inner size), which is the input of `ffn.out`.
 */
export const IA3_TARGETS = [...LINEAR_SITES, 'ffn.act'] as const;
export type Ia3Target = (typeof IA3_TARGETS)[number];

/** Optional fields written into a Hugging Face PEFT adapter_config.json. */
export interface Ia3HuggingFaceFields {
  /** `base_model_name_or_path` (default null). */
  readonly baseModelNameOrPath?: string | null;
  /** `task_type` (default: the model's, from its spec's `hf.taskType`). */
  readonly taskType?: string | null;
}

/** The resolved, validated configuration of an IA³ method (what peft_tfjs.json stores under `peft_method`). */
export interface Ia3Config {
  /** The scaled places, in contract order (linear sites, then `ffn.act`). */
  readonly targets: readonly Ia3Target[];
  readonly hf?: Ia3HuggingFaceFields;
}

/** What `ia3()` accepts: every field has a default. */
export type Ia3Options = Partial<Ia3Config>;

/** The paper's and Hugging Face PEFT's default: keys, values and the FFN's intermediate activation. */
export const IA3_DEFAULTS = {
  targets: ['attn.k', 'attn.v', 'ffn.act'] as readonly Ia3Target[],
} as const;

const KNOWN_FIELDS = ['targets', 'hf'] as const;

export function isIa3Target(s: unknown): s is Ia3Target {
  return typeof s === 'string' && (s === 'ffn.act' || isLinearSite(s));
}

/** Fills defaults and validates; throws {@link ConfigError} naming the field at fault. */
export function resolveIa3Config(options: unknown): Ia3Config {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError('ia3', `config must be an object, got ${JSON.stringify(options)}`);
  }
  const o = options as Record<string, unknown>;
  refuseUnknownFields('ia3', o, KNOWN_FIELDS);
  const targets = resolveTargets(o.targets ?? IA3_DEFAULTS.targets);
  if (o.hf === undefined) return { targets };
  return { targets, hf: resolveHf(o.hf) };
}

function resolveTargets(v: unknown): Ia3Target[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new ConfigError('ia3.targets', `must be a non-empty list of places to scale (${IA3_TARGETS.join(', ')}), got ${JSON.stringify(v)}`);
  }
  const seen = new Set<string>();
  for (const s of v) {
    if (!isIa3Target(s)) throw new ConfigError('ia3.targets', `'${String(s)}' is neither a linear site nor 'ffn.act' (${IA3_TARGETS.join(', ')})`);
    if (seen.has(s)) throw new ConfigError('ia3.targets', `'${s}' is listed twice`);
    seen.add(s);
  }
  // canonical order, so that two configs naming the same targets are equal
  return IA3_TARGETS.filter((s) => seen.has(s));
}

function resolveHf(v: unknown): Ia3HuggingFaceFields {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError('ia3.hf', 'must be an object');
  const o = v as Record<string, unknown>;
  refuseUnknownFields('ia3.hf', o, ['baseModelNameOrPath', 'taskType']);
  for (const k of Object.keys(o)) {
    if (o[k] !== null && typeof o[k] !== 'string') throw new ConfigError(`ia3.hf.${k}`, 'must be a string or null');
  }
  return o as Ia3HuggingFaceFields;
}

/** The linear sites among the targets. */
export function linearTargets(c: Ia3Config): LinearSite[] {
  return c.targets.filter((t): t is LinearSite => t !== 'ffn.act');
}
