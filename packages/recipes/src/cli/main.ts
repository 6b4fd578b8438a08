import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { ENVIRONMENT_HELP } from './backend.js';
import { DATA_ENVIRONMENT_HELP, registerDataCommands } from './data-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerEvalCommand } from './eval-command.js';
import { registerGenerateCommand } from './generate-command.js';
import { classifyError, EXIT_CODES } from './error-kind.js';
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

export { EXIT_CODES };

/**
 * Says what went wrong and returns the exit code ({@link classifyError}). A PeftError is reported by its message
 * alone; anything else is a bug, reported as one with its stack, so it is never mistaken for the user's input.
 */
function reportError(e: unknown, running: Command | undefined, io: CliIo): number {
  const c = classifyError(e);
  if (c.kind !== 'internal') {
    const hint = UsageError.isInstance(e) ? `\n(${running ? commandPath(running) : 'peft'} --help lists the options)` : '';
    io.err(`peft: error: ${c.message}${hint}`);
    return c.exitCode;
  }
  const what = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  io.err(`peft: internal error (a bug in peft, not in your input; please report it with this stack):\n${what}`);
  return c.exitCode;
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
