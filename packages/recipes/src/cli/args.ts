import { UsageError } from '../errors.js';

/** A parsed command line: positionals and `--name value` / `--flag` options (repeatable ones collect into arrays). */
export interface ParsedArgs {
  readonly positional: string[];
  readonly options: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(['resume', 'help', 'lc', 'force', 'quiet']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      let value: string;
      if (eq > 0) value = a.slice(eq + 1);
      else if (BOOLEAN_FLAGS.has(name)) value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`option --${name} needs a value`);
        value = next;
        i++;
      }
      options.set(name, [...(options.get(name) ?? []), value]);
    } else positional.push(a);
  }
  return { positional, options };
}

export class Options {
  private readonly used = new Set<string>();
  constructor(private readonly args: ParsedArgs) {}
  string(name: string): string | undefined {
    this.used.add(name);
    const v = this.args.options.get(name);
    return v ? v[v.length - 1] : undefined;
  }
  strings(name: string): string[] {
    this.used.add(name);
    return this.args.options.get(name) ?? [];
  }
  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw new UsageError(`missing --${name}`);
    return v;
  }
  flag(name: string): boolean {
    return this.string(name) === 'true';
  }
  int(name: string, min = 0): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  }
  number(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${v}'`);
    return n;
  }
  /** Fails on options the command does not know. */
  checkAllUsed(command: string): void {
    for (const k of this.args.options.keys()) {
      if (!this.used.has(k)) throw new UsageError(`unknown option --${k} for '${command}' (see peft --help)`);
    }
  }
}
