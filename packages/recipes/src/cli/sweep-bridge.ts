import { Command, CommanderError } from 'commander';
import { PeftError } from '@peft/core';
import { registerSweepCommands, type SweepIo } from './sweep-commands.js';

/**
 * Until the whole `peft` command is on commander: runs `peft sweep …` and `peft worker …` through commander.
 * Returns the exit code (0 ok, 1 error, 2 usage).
 */
export async function runSweepCommandLine(argv: readonly string[], io: SweepIo): Promise<number> {
  const program = new Command('peft').exitOverride().configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  registerSweepCommands(program, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof PeftError) {
      io.err(`peft: error: ${e.message}`);
      return 1;
    }
    io.err(`peft: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
