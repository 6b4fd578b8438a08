import type { Command } from 'commander';
import { MissingPackageError } from '../errors.js';
import type { CliIo } from './option-parsers.js';

/**
 * Command groups that live in packages of their own, so that `npm install @peft/recipes` does not pull what only they
 * need (the sweep: a Redis queue, statistics). Those packages depend on @peft/recipes, not the other way round: the
 * CLI reaches them by a dynamic import of a name it does not declare, only when one of their commands is typed.
 */
export interface OptionalCommandGroup {
  readonly pkg: string;
  /** The top-level commands it registers, with the description `peft --help` shows before it is loaded. */
  readonly commands: Readonly<Record<string, string>>;
  /** The package's export that registers them: `(program, io) => void`. */
  readonly register: string;
}

export const OPTIONAL_COMMAND_GROUPS: readonly OptionalCommandGroup[] = [
  {
    pkg: '@peft/sweep',
    commands: {
      sweep: "the paper's grid of runs on a BullMQ (Redis) queue, and its tables (package @peft/sweep; docs/sweep.md)",
      worker: 'take sweep jobs from the queue and run peft train for each (package @peft/sweep)',
    },
    register: 'registerSweepCommands',
  },
];

type Register = (program: Command, io: CliIo) => void;

/** Imports a package by a name held in a variable: bundlers leave it alone, so no package depends on it. */
const importOptional = (name: string): Promise<Record<string, unknown>> => import(/* @vite-ignore */ name) as Promise<Record<string, unknown>>;

function isNotFound(e: unknown, pkg: string): boolean {
  const code = (e as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((e as Error).message).includes(pkg);
}

/**
 * Registers each optional group: its package's own commands when `command` (the first word typed) is one of them and
 * the package loads; else a stand-in per command that `peft --help` lists and that, when run, fails with a
 * MissingPackageError saying what to install.
 */
export async function registerOptionalCommands(program: Command, io: CliIo, command: string | undefined, load = importOptional): Promise<void> {
  for (const g of OPTIONAL_COMMAND_GROUPS) {
    if (command !== undefined && command in g.commands) {
      let mod: Record<string, unknown> | null = null;
      try {
        mod = await load(g.pkg);
      } catch (e) {
        if (!isNotFound(e, g.pkg)) throw e;
      }
      const register = mod?.[g.register];
      if (typeof register === 'function') {
        (register as Register)(program, io);
        continue;
      }
    }
    for (const [name, description] of Object.entries(g.commands)) {
      program
        .command(name)
        .description(description)
        .helpOption(false)
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          throw new MissingPackageError(g.pkg, `peft ${name}`);
        });
    }
  }
}
