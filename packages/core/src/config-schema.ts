import * as z from 'zod/mini';
import { ConfigError, type PeftErrorKind } from './errors.js';

/**
 * Settings are defined once, as zod schemas: a method's config (each method's config.ts), `peft train`'s options
 * (@peft/recipes). Validation, the TypeScript types, the CLI's options and help, the sweep's checks and the docs'
 * tables all read the same schema. The field builders here say what a field accepts in words (`expects`, shown by
 * `--help` and the docs) and give the one message a bad value gets (`must be an integer ≥ 1`).
 *
 * The schemas use `zod/mini`, zod's tree-shakable form (the same engine with functions in place of methods): a page
 * bundling a method keeps about 27 kB of it (minified; 8.6 kB gzipped) where zod's chained API kept 95 kB.
 */

/** A schema of any kind. */
export type Schema = z.ZodMiniType;

/**
 * `schema` with its doc (a copy, so a shared field schema can be documented differently where it is used): what
 * classic zod's `.meta()` does.
 */
export function withDoc<T extends Schema>(schema: T, doc: FieldDoc & Readonly<Record<string, unknown>>): T {
  const copy = schema.clone() as T;
  z.globalRegistry.add(copy, { ...(z.globalRegistry.get(schema) ?? {}), ...doc });
  return copy;
}

/** What the docs and `--help` show of a field, kept on its schema with `.meta()`. */
export interface FieldDoc {
  /** What the field accepts, as `--help` and the docs show it (`integer ≥ 1`, `one of hf, torch-default`). */
  readonly expects?: string;
  /** The same with its article, as a message says it (`an integer ≥ 1`). */
  readonly must?: string;
  /** What the field means. */
  readonly description?: string;
  /** The default in words, where the schema has none or it depends on something else (`true for roberta`). */
  readonly defaultText?: string;
  /** The values papers and reference code use (docs only). */
  readonly reference?: string;
}

/** The part of a zod schema's definition that says what it wraps. */
interface WrapperDef {
  readonly type: string;
  readonly innerType?: Schema;
  readonly defaultValue?: unknown;
  readonly in?: Schema;
}

/** The doc of a field: its own `.meta()` merged with those of the schemas it wraps (optional, default). */
export function fieldDoc(schema: Schema): FieldDoc & { readonly default?: unknown } {
  let doc: Record<string, unknown> = {};
  let s: Schema | undefined = schema;
  let dflt: unknown;
  while (s) {
    doc = { ...(z.globalRegistry.get(s) ?? {}), ...doc };
    const def: WrapperDef = (s as unknown as { _zod: { def: WrapperDef } })._zod.def;
    if (def.type === 'default' && dflt === undefined) dflt = def.defaultValue;
    s = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  }
  return dflt === undefined ? doc : { ...doc, default: dflt };
}

function described<T extends Schema>(schema: T, expects: string, must: string): T {
  return withDoc(schema, { expects, must });
}

/** Words for a range: `≥ 1`, `> 0`, `in [0, 1)`. */
function rangeWords(b: NumberBounds): string {
  const lo = b.above !== undefined ? { v: b.above, open: true } : b.min !== undefined ? { v: b.min, open: false } : undefined;
  const hi = b.below !== undefined ? { v: b.below, open: true } : b.max !== undefined ? { v: b.max, open: false } : undefined;
  if (lo && hi) return `in ${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`;
  if (lo) return `${lo.open ? '>' : '≥'} ${lo.v}`;
  if (hi) return `${hi.open ? '<' : '≤'} ${hi.v}`;
  return '';
}

/** Bounds of a number: `min`/`max` inclusive, `above`/`below` exclusive. */
export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly below?: number;
}

/** Words, message and range checks of a bounded number: `integer ≥ 1` / `an integer ≥ 1` and its gte/lte checks. */
function bounded(noun: 'integer' | 'number', bounds: NumberBounds, words?: { expects: string; must: string }) {
  const range = rangeWords(bounds);
  const expects = words?.expects ?? `${noun}${range ? ` ${range}` : ''}`;
  const must = words?.must ?? `${noun === 'integer' ? 'an' : 'a'} ${expects}`;
  const error = `must be ${must}`;
  const checks = [
    ...(bounds.min !== undefined ? [z.gte(bounds.min, { error })] : []),
    ...(bounds.above !== undefined ? [z.gt(bounds.above, { error })] : []),
    ...(bounds.max !== undefined ? [z.lte(bounds.max, { error })] : []),
    ...(bounds.below !== undefined ? [z.lt(bounds.below, { error })] : []),
  ];
  return { expects, must, error, checks };
}

/** An integer in bounds (a safe integer: 1e20 is refused). `words` replaces the generated `integer ≥ 1`. */
export function integerField(bounds: Pick<NumberBounds, 'min' | 'max'> = {}, words?: { expects: string; must: string }) {
  const b = bounded('integer', bounds, words);
  return described(z.int({ error: b.error }).check(...b.checks), b.expects, b.must);
}

/** A finite number in bounds. */
export function numberField(bounds: NumberBounds = {}, words?: { expects: string; must: string }) {
  const b = bounded('number', bounds, words);
  return described(z.number({ error: b.error }).check(...b.checks), b.expects, b.must);
}

/** A dropout rate: a number in [0, 1). */
export function rateField() {
  return numberField({ min: 0, below: 1 });
}

/** true or false. */
export function booleanField() {
  return described(z.boolean({ error: 'must be true or false' }), 'true or false', 'true or false');
}

/** One of a few names. */
export function choiceField<const T extends readonly [string, ...string[]]>(values: T) {
  const words = `one of ${values.join(', ')}`;
  return described(z.enum(values, { error: `must be ${words}` }), words, words);
}

/** Text (a path, a name): any non-empty string. */
export function textField(expects = 'text') {
  return described(z.string({ error: `must be ${expects}` }).check(z.minLength(1, { error: `must be ${expects}` })), expects, expects);
}

/**
 * An object with exactly these fields: any other is refused by its name, listing the known ones (a typo such as
 * `bottelneck` would otherwise fall back to a default silently).
 */
export function configObject<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field (known: ${known})` : 'must be an object'),
  });
}

/** The field a zod issue is about, under `owner` (`lora.rank.attn.q`), and its message with the value it got. */
export function describeIssue(owner: string, issue: z.core.$ZodIssue): { field: string; message: string } {
  const at = [owner, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') return { field: `${at}.${issue.keys[0]}`, message: issue.message };
  if (issue.code === 'custom') return { field: at, message: issue.message };
  const input = (issue as { input?: unknown }).input;
  return { field: at, message: `${issue.message}, got ${showValue(input)}` };
}

/** A value as a message shows it: JSON, but `NaN`, `Infinity` and `nothing` (undefined) by name. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * Parses `value` with a config schema; a bad field throws {@link ConfigError} naming `<owner>.<field>` (kind `input`
 * unless `kind` says otherwise: a stored config read from a file passes `data`).
 */
export function parseConfig<S extends Schema>(owner: string, schema: S, value: unknown, kind?: PeftErrorKind): z.output<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const { field, message } = describeIssue(owner, r.error.issues[0]!);
  throw new ConfigError(field, message, kind ? { kind } : {});
}

type Writable<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? Writable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Writable<T[K]> }
      : T;

/**
 * `true` when a schema's type and a declared type are the same, `readonly` aside: `true satisfies SameType<z.output<typeof
 * SCHEMA>, Config>` keeps a documented interface from drifting from its schema.
 */
export type SameType<A, B> = [Writable<A>] extends [Writable<B>] ? ([Writable<B>] extends [Writable<A>] ? true : false) : false;
