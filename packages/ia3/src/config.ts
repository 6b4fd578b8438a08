import * as z from 'zod/mini';
import { LINEAR_SITES, configObject, isLinearSite, parseConfig, withDoc, type LinearSite } from '@peft/core';

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

export function isIa3Target(s: unknown): s is Ia3Target {
  return typeof s === 'string' && (s === 'ffn.act' || isLinearSite(s));
}

const TARGETS_ERROR = `must be a non-empty list of places to scale (${IA3_TARGETS.join(', ')})`;
const textOrNull = z.optional(z.nullable(z.string({ error: 'must be a string or null' })));

/**
 * The one definition of an IA³ config: fields, defaults, checks and docs (the README's table is generated from it).
 * Stored configs (peft_tfjs.json) are read through it too; parsing gives the resolved config.
 */
export const IA3_SCHEMA = z.pipe(
  configObject({
    targets: withDoc(
      z._default(z.array(z.string(), { error: TARGETS_ERROR }).check(z.minLength(1, { error: TARGETS_ERROR })), [...IA3_DEFAULTS.targets]),
      {
        expects: `list of ${IA3_TARGETS.join(', ')}`,
        reference: "the paper's and PEFT's default: k, v and the FFN's activation",
        description: "the scaled places: a linear site's output (y ∘ l) or `ffn.act`, the FFN's intermediate activation (g ∘ l_ff; PEFT's `feedforward_modules` scaling of the FFN's output projection's input)",
      },
    ),
    hf: withDoc(z.optional(configObject({ baseModelNameOrPath: textOrNull, taskType: textOrNull })), {
      expects: '{ baseModelNameOrPath?, taskType? }',
      description: "written to HF's adapter_config.json",
    }),
  }).check(
    z.superRefine((c, ctx) => {
      const seen = new Set<string>();
      for (const t of c.targets) {
        const fail = (message: string): void => void ctx.addIssue({ code: 'custom', path: ['targets'], message });
        if (!isIa3Target(t)) return fail(`'${t}' is neither a linear site nor 'ffn.act' (${IA3_TARGETS.join(', ')})`);
        if (seen.has(t)) return fail(`'${t}' is listed twice`);
        seen.add(t);
      }
    }),
  ),
  // canonical order, so that two configs naming the same targets are equal
  z.transform((c): Ia3Config => ({ targets: IA3_TARGETS.filter((t) => c.targets.includes(t)), ...(c.hf ? { hf: c.hf } : {}) })),
);

/** Fills defaults and validates; throws {@link ConfigError} naming the field at fault. */
export function resolveIa3Config(options: unknown): Ia3Config {
  return parseConfig('ia3', IA3_SCHEMA, options === undefined ? {} : options);
}

/** The linear sites among the targets. */
export function linearTargets(c: Ia3Config): LinearSite[] {
  return c.targets.filter((t): t is LinearSite => t !== 'ffn.act');
}
