import { Help, InvalidArgumentError, Option } from 'commander';
import type * as z from 'zod/mini';
import { fieldDoc, integerField, numberField, type NumberBounds, type Schema } from '@peft/core';

/**
 * Where a command writes: `out` for results (stdout), `err` for everything else (progress, messages, errors), one line
 * per call. Every `registerXCommand(program, io)` takes one; tests pass their own to capture the output.
 */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
};

/**
 * A commander value parser that also says what it accepts (`expects`, shown in `--help` as the option's type). It
 * throws commander's `InvalidArgumentError` naming the flag, so a bad value is a usage error (exit code 2) that reads
 * `option '--epochs <int>' argument 'two' is invalid. --epochs must be an integer ≥ 1`.
 */
export interface OptionParser<T> {
  (value: string, previous: T): T;
  readonly expects: string;
}

function parser<T>(expects: string, parse: (value: string, previous: T) => T): OptionParser<T> {
  return Object.assign(parse, { expects });
}

/** Numbers as JavaScript reads them (`2e-4`, `0.1`), but never `''`, `' '`, `0x10` or `Infinity`. */
function toNumber(value: string): number {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value) ? Number(value) : NaN;
}

/** A parser made from a settings schema (@peft/core's field builders): `check` is the same test without throwing. */
export interface SchemaParser<T> extends OptionParser<T> {
  /** What a value must be, as a sentence starts (`must be an integer ≥ 1`). */
  readonly must: string;
  readonly check: (text: string) => { ok: T } | { error: string };
}

/**
 * The command-line parser of a value checked by `schema`: the text as it is, or as the number it spells when the
 * schema wants one. A bad value throws commander's `InvalidArgumentError` naming the flag (`--lr must be a number > 0.`).
 */
export function schemaParser<S extends Schema>(flag: string, schema: S): SchemaParser<z.output<S>> {
  const doc = fieldDoc(schema);
  const must = `must be ${doc.must ?? doc.expects ?? 'valid'}`;
  const check = (text: string): { ok: z.output<S> } | { error: string } => {
    let r = schema.safeParse(text);
    if (!r.success && !Number.isNaN(toNumber(text))) r = schema.safeParse(toNumber(text));
    return r.success ? { ok: r.data } : { error: `${flag} ${r.error.issues[0]!.message}` };
  };
  const parse = (value: string): z.output<S> => {
    const r = check(value);
    if ('error' in r) throw new InvalidArgumentError(`${r.error}.`);
    return r.ok;
  };
  return Object.assign(parse, { expects: doc.expects ?? 'text', must, check });
}

/** An integer in [min, max]. */
export function integerParser(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): OptionParser<number> {
  return schemaParser(flag, integerField(max === Number.MAX_SAFE_INTEGER ? { min } : { min, max }));
}

/** A finite number, optionally bounded: `min`/`max` inclusive, `above` exclusive (`above: 0` for a learning rate). */
export function numberParser(flag: string, bounds: NumberBounds = {}): OptionParser<number> {
  return schemaParser(flag, numberField(bounds));
}

/** A repeatable option: every occurrence is kept, in order (`--ref a.txt --ref b.txt`). */
export function repeatableParser(what: string): OptionParser<string[]> {
  return parser(`${what}, repeatable`, (value, previous) => [...(previous ?? []), value]);
}

/**
 * An option with a value: `flags` as commander's (`--epochs <int>`), what it means, and how to parse it. `defaultText`
 * documents a default that the command applies itself (e.g. the recipe's); `defaultValue` is one commander applies.
 */
export function valueOption<T = string>(
  flags: string,
  meaning: string,
  o: { parse?: OptionParser<T>; choices?: readonly string[]; defaultValue?: T; defaultText?: string } = {},
): Option {
  const opt = new Option(flags, meaning);
  if (o.parse) opt.argParser(o.parse);
  if (o.choices) opt.choices(o.choices);
  if (o.defaultValue !== undefined || o.defaultText !== undefined) opt.default(o.defaultValue, o.defaultText);
  return opt;
}

/** A boolean flag: takes no value; absent is off. */
export function flagOption(flags: string, meaning: string): Option {
  return new Option(flags, meaning);
}

/**
 * How every `peft` command lists its options in `--help`: the meaning, then in parentheses the type (`flag`, `integer
 * ≥ 1`, `number > 0`, `one of "global", "batch"`, `file, repeatable`) and the default, whether commander or the
 * command applies it. Given to `program.configureHelp(…)`; subcommands inherit it.
 */
export const HELP_CONFIGURATION: Partial<Help> = {
  sortOptions: false,
  showGlobalOptions: false,
  optionDescription(option: Option): string {
    if (option.long === '--help') return option.description;
    const facts: string[] = [];
    const parse = option.parseArg as Partial<OptionParser<unknown>> | undefined;
    if (option.isBoolean()) facts.push('flag');
    else if (option.argChoices) facts.push(`one of ${option.argChoices.join(', ')}`);
    else if (parse?.expects) facts.push(parse.expects);
    else facts.push(option.flags.match(/<([^>]+)>/)?.[1] ?? 'text');
    const shownDefault =
      option.defaultValueDescription ?? (option.defaultValue !== undefined && !Array.isArray(option.defaultValue) ? JSON.stringify(option.defaultValue) : undefined);
    if (option.mandatory) facts.push('required');
    if (shownDefault !== undefined) facts.push(`default: ${shownDefault}`);
    if (option.envVar) facts.push(`env: ${option.envVar}`);
    return `${option.description} (${facts.join('; ')})`;
  },
};
