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

/** A command lives in a package of its own that is not installed (e.g. `peft sweep` in @peft/sweep). */
export class MissingPackageError extends PeftError {
  readonly pkg: string;
  constructor(pkg: string, command: string, options?: { cause?: unknown }) {
    super('E_MISSING_PACKAGE', `${command} needs the ${pkg} package, which is not installed: npm install ${pkg}`, options);
    this.pkg = pkg;
  }
}
