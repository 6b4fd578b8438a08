import * as tf from '@tensorflow/tfjs-core';
import { Command, CommanderError } from 'commander';
import { PeftError } from '@peft/core';
import { UsageError } from '../errors.js';
import { ENVIRONMENT_HELP } from './backend.js';
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
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\nExit codes: 0 success, 1 an error in the inputs, 2 a usage error. Results go to stdout, the rest to stderr.`);
  for (const register of COMMAND_GROUPS) register(program, io);
  await registerOptionalCommands(program, io, command);
  for (const cmd of allCommands(program)) cmd.showHelpAfterError(`(${commandPath(cmd)} --help lists the options)`);
  return program;
}

/** Runs the command line; returns the exit code (0 ok, 1 error, 2 usage). Output: results on stdout, the rest on stderr. */
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
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    if (e instanceof UsageError) {
      io.err(`peft: ${e.message}\n(${running ? commandPath(running) : 'peft'} --help lists the options)`);
      return 2;
    }
    if (isWasmHeapExhausted(e, () => tf.getBackend())) {
      io.err(`peft: error: ${heapExhaustedMessage(e as Error)}`);
      return 1;
    }
    if (e instanceof PeftError || isNamedInputError(e)) {
      io.err(`peft: error: ${(e as Error).message}`);
      return exitCodeOf(e) ?? 1;
    }
    io.err(`peft: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/** A typed error's own exit code (e.g. 69 for an unreachable service, @peft/sweep's RedisUnreachableError). */
function exitCodeOf(e: unknown): number | undefined {
  const code = (e as { exitCode?: unknown }).exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code > 2 && code < 126 ? code : undefined;
}

/** Typed errors of packages that do not derive from PeftError (e.g. eval-metrics' MetricsInputError). */
function isNamedInputError(e: unknown): boolean {
  return e instanceof Error && /Error$/.test(e.name) && e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError' && e.name !== 'ReferenceError';
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
