import { ConfigError } from '@peft/core';

/** Reads typed fields of a config.json object; errors name the file and the field. */
export class ConfigFields {
  constructor(
    private readonly json: Record<string, unknown>,
    private readonly path: string,
  ) {}

  private fail(field: string, message: string): never {
    throw new ConfigError(`${this.path}: ${field}`, message, { kind: 'data' });
  }

  /** A positive integer: the first of `names` present, else `fallback` (an error when there is none). */
  positiveInt(names: readonly string[], fallback?: number): number {
    const name = names.find((n) => this.json[n] !== undefined && this.json[n] !== null);
    if (name === undefined) {
      if (fallback === undefined) this.fail(names[0]!, `is missing (also looked for ${names.slice(1).join(', ') || 'no alias'})`);
      return fallback;
    }
    const v = this.json[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(name, `must be a positive integer, got ${JSON.stringify(v)}`);
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
    if (this.json.num_labels !== undefined) return this.positiveInt(['num_labels']);
    const m = this.json.id2label;
    if (m && typeof m === 'object' && !Array.isArray(m)) return Math.max(1, Object.keys(m).length);
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
