import { ConfigError } from '@peft/core';

/**
 * Upper bounds on config.json's size fields: far above any published GPT-2 / RoBERTa (48 layers, 1600 wide, a 50k
 * vocabulary), low enough that a typo (n_layer 10⁹) fails here, at once, instead of after minutes of allocation.
 */
export const CONFIG_LIMITS = {
  layers: 1024,
  width: 65_536,
  heads: 1024,
  inner: 262_144,
  vocab: 4_194_304,
  positions: 1_048_576,
  typeVocab: 1024,
  labels: 65_536,
} as const;

/** Reads typed fields of a config.json object; errors name the file and the field. */
export class ConfigFields {
  constructor(
    private readonly json: Record<string, unknown>,
    private readonly path: string,
  ) {}

  private fail(field: string, message: string): never {
    throw new ConfigError(`${this.path}: ${field}`, message, { kind: 'data' });
  }

  /** A positive integer ≤ `max`: the first of `names` present, else `fallback` (an error when there is none). */
  positiveInt(names: readonly string[], max: number, fallback?: number): number {
    const name = names.find((n) => this.json[n] !== undefined && this.json[n] !== null);
    if (name === undefined) {
      if (fallback === undefined) this.fail(names[0]!, `is missing (also looked for ${names.slice(1).join(', ') || 'no alias'})`);
      return fallback;
    }
    const v = this.json[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(name, `must be a positive integer, got ${JSON.stringify(v)}`);
    if (v > max) this.fail(name, `is ${v}, above the limit of ${max}`);
    return v;
  }

  /** An integer (may be 0 or negative), or `fallback` when absent or null. */
  int(name: string, fallback: number): number {
    const v = this.json[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(name, `must be an integer, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A number in [min, max], or `fallback`. */
  number(name: string, fallback: number, min = -Infinity, max = Infinity): number {
    const v = this.json[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !(v >= min && v <= max)) this.fail(name, `must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v;
  }

  /** A string, or `fallback`. */
  string(name: string, fallback: string): string {
    const v = this.json[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') this.fail(name, `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** The number of labels: `num_labels`, else the size of `id2label`, else `fallback`. */
  numLabels(fallback: number): number {
    if (this.json.num_labels !== undefined) return this.positiveInt(['num_labels'], CONFIG_LIMITS.labels);
    const m = this.json.id2label;
    if (m && typeof m === 'object' && !Array.isArray(m)) {
      const n = Object.keys(m).length;
      if (n > CONFIG_LIMITS.labels) this.fail('id2label', `has ${n} labels, above the limit of ${CONFIG_LIMITS.labels}`);
      return Math.max(1, n);
    }
    return fallback;
  }
}

/** The architecture a config.json names: `model_type`, else inferred from `architectures` (e.g. GPT2LMHeadModel). */
export function modelTypeOf(json: Record<string, unknown>): string {
  if (typeof json.model_type === 'string') return json.model_type;
  const arch = Array.isArray(json.architectures) ? json.architectures.find((a) => typeof a === 'string') : undefined;
  if (typeof arch === 'string') {
    if (/^GPT2/i.test(arch)) return 'gpt2';
    if (/^Roberta/i.test(arch)) return 'roberta';
    return arch;
  }
  return '<none>';
}
