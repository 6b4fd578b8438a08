import * as tf from '@tensorflow/tfjs-core';
import { Command, CommanderError } from 'commander';
import { isPeftError, type PeftErrorKind } from '@peft/core';
import { RunInterruptedError, UsageError } from '../errors.js';
import { ENVIRONMENT_HELP } from './backend.js';
import { DATA_ENVIRONMENT_HELP, registerDataCommands } from './data-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerEvalCommand } from './eval-command.js';
import { registerGenerateCommand } from './generate-command.js';
import { heapExhaustedMessage, isWasmHeapExhausted } from './heap-exhausted.js';
import { normaliseArgv, registerMetricsCommands } from './metrics-commands.js';
import { HELP_CONFIGURATION, processIo, type CliIo } from './option-parsers.js';
import { registerOptionalCommands } from './optional-commands.js';
import { registerPresetsCommand } from './presets-command.js';
import { registerTrainCommand } from './train-command.js';

/** The command groups, in the order `peft --help` lists them. A new group is one more entry (and its import). */
const COMMAND_GROUPS: readonly ((program: Command, io: CliIo) => void)[] = [
  registerTrainCommand,
  registerEvalCommand,
  registerGenerateCommand,
  registerPresetsCommand,
  registerMetricsCommands,
  registerDemoCommand,
  registerDataCommands,
];

/**
 * The `peft` program: commander with every command group registered, and the optional groups of other packages
 * (optional-commands.ts): loaded when `command`, the first word of the command line, is one of theirs. Errors never
 * exit the process: they surface as a thrown `CommanderError` (see {@link main}). Output goes to `io`.
 */
export async function buildProgram(io: CliIo, command?: string): Promise<Command> {
  const program = new Command('peft')
    .description('Parameter-efficient fine-tuning (inducer-tuning, LoRA, adapters, prefix-tuning) on TensorFlow.js.')
    .configureHelp(HELP_CONFIGURATION)
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: (s, write) => write(`peft: ${s.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n${DATA_ENVIRONMENT_HELP}\n\nExit codes: 0 success, 2 an invalid flag, config value or input file content, 1 a missing or corrupt data, model or adapter file (or a system fault), 70 an internal error (a bug: reported with its stack). Results go to stdout, the rest to stderr.`);
  for (const register of COMMAND_GROUPS) register(program, io);
  await registerOptionalCommands(program, io, command);
  for (const cmd of allCommands(program)) cmd.showHelpAfterError(`(${commandPath(cmd)} --help lists the options)`);
  return program;
}

/** Runs the command line; returns the exit code ({@link EXIT_CODES}; 0 ok). Output: results on stdout, the rest on stderr. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let running: Command | undefined;
  try {
    const args = normaliseArgv(argv);
    const program = (await buildProgram(io, args[0])).hook('preAction', (_program, action) => {
      running = action;
    });
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has written its message (or the help) already
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : EXIT_CODES.input;
    }
    return reportError(e, running, io);
  }
}

/** The exit code of each kind of error (PeftErrorKind in @peft/core); `peft --help` lists them. */
export const EXIT_CODES: Readonly<Record<PeftErrorKind, number>> = { input: 2, data: 1, environment: 1, internal: 70 };

/**
 * Says what went wrong and returns the exit code. A PeftError (of any @peft package, any copy) is reported by its
 * message alone; anything else is a bug, reported as one with its stack, so it is never mistaken for the user's input.
 */
function reportError(e: unknown, running: Command | undefined, io: CliIo): number {
  if (RunInterruptedError.isInstance(e)) {
    io.err(`peft: ${e.message}`);
    return e.exitCode; // 130 (SIGINT) or 143 (SIGTERM), as a shell reports a process the signal ended
  }
  if (isWasmHeapExhausted(e, () => tf.getBackend())) {
    io.err(`peft: error: ${heapExhaustedMessage(e as Error)}`);
    return EXIT_CODES.environment;
  }
  if (isPeftError(e) && e.kind !== 'internal') {
    const hint = UsageError.isInstance(e) ? `\n(${running ? commandPath(running) : 'peft'} --help lists the options)` : '';
    io.err(`peft: error: ${e.message}${hint}`);
    return exitCodeOf(e) ?? EXIT_CODES[e.kind];
  }
  if (isSystemError(e)) {
    // an operating-system fault Node reports with its errno and the path (ENOSPC, EACCES, …): not a bug
    io.err(`peft: error: ${e.message}`);
    return EXIT_CODES.environment;
  }
  const what = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  io.err(`peft: internal error (a bug in peft, not in your input; please report it with this stack):\n${what}`);
  return EXIT_CODES.internal;
}

/** An error Node raised for a system call: it carries the errno `code` (e.g. 'ENOSPC') and the `syscall`. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string' && /^E[A-Z0-9]+$/.test(String((e as NodeJS.ErrnoException).code));
}

/** A typed error's own exit code (e.g. 69 for an unreachable service, @peft/sweep's RedisUnreachableError). */
function exitCodeOf(e: unknown): number | undefined {
  const code = (e as { exitCode?: unknown }).exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code > 2 && code < 126 ? code : undefined;
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
