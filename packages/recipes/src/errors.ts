import { PeftError } from '@peft/core';

// Kinds (see PeftErrorKind in @peft/core): DataFileError, DataFormatError and ResumeError are `data` (exit 1),
// UnknownNameError and UsageError `input` (exit 2).

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

/** A preset, task or command the user named does not exist. `nameKind` says which ('preset', 'task', …). */
export class UnknownNameError extends PeftError {
  readonly nameKind: string;
  readonly nameGiven: string;
  constructor(nameKind: string, name: string, known: readonly string[]) {
    super('E_UNKNOWN_NAME', `unknown ${nameKind} '${name}' (known: ${known.join(', ') || 'none'})`, { kind: 'input' });
    this.nameKind = nameKind;
    this.nameGiven = name;
  }
}

/** A command-line argument is missing or invalid. */
export class UsageError extends PeftError {
  constructor(message: string) {
    super('E_USAGE', message, { kind: 'input' });
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
