import { PeftError } from '@peft/core';

/** A data file is missing or unreadable. */
export class DataFileError extends PeftError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('E_DATA_FILE', `${file}: ${message}`, options);
    this.file = file;
  }
}

/** A data file is readable but malformed; `line` is 1-based (0 when the position is unknown). */
export class DataFormatError extends PeftError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super('E_DATA_FORMAT', `${file}${line > 0 ? `:${line}` : ''}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

/** A preset, task or command the user named does not exist. */
export class UnknownNameError extends PeftError {
  readonly kind: string;
  readonly nameGiven: string;
  constructor(kind: string, name: string, known: readonly string[]) {
    super('E_UNKNOWN_NAME', `unknown ${kind} '${name}' (known: ${known.join(', ') || 'none'})`);
    this.kind = kind;
    this.nameGiven = name;
  }
}

/** A command-line argument is missing or invalid. */
export class UsageError extends PeftError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

/** A training checkpoint does not fit the run it should resume. */
export class ResumeError extends PeftError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('E_RESUME', `${path}: ${message}`);
    this.path = path;
  }
}

/**
 * Training met a non-finite loss, gradient, weight or validation value (`what` says which) at optimizer step `step`.
 * Nothing of that step was saved: the run folder keeps its last good checkpoint and best adapter.
 */
export class NonFiniteError extends PeftError {
  readonly step: number;
  readonly what: string;
  constructor(step: number, what: string, hint: string) {
    super('E_NON_FINITE', `step ${step}: ${what} is not finite; ${hint}`);
    this.step = step;
    this.what = what;
  }
}

/**
 * A run stopped on SIGINT or SIGTERM after writing a checkpoint at `step`. `exitCode` is the shell's 128 + signal
 * number (130, 143); `resumeCommand` is the command line that continues it.
 */
export class RunInterruptedError extends PeftError {
  readonly signal: NodeJS.Signals;
  readonly step: number;
  readonly resumeCommand: string;
  readonly exitCode: number;
  constructor(signal: NodeJS.Signals, step: number, resumeCommand: string) {
    super('E_INTERRUPTED', `${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: stopped at step ${step}; resume with: ${resumeCommand}`);
    this.signal = signal;
    this.step = step;
    this.resumeCommand = resumeCommand;
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}
