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

/**
 * Another live `peft` process on this machine holds a run's folder (its pid in the folder's lock file): kind
 * `environment` — nothing about this run's inputs is wrong, and the same command succeeds once the holder has ended
 * (a sweep retries it; an orphaned run of a killed worker holds the folder for a moment).
 */
export class RunFolderBusyError extends PeftError {
  readonly path: string;
  readonly pid: number;
  constructor(path: string, pid: number) {
    super('E_RUN_BUSY', `${path} is in use by a running peft (pid ${pid}); wait for it to end or stop it (Ctrl-C), then resume`, { kind: 'environment' });
    this.path = path;
    this.pid = pid;
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
 * Why a download failed: `not-found` (HTTP 404, or no such file in a mirror folder), `http-status` (any other non-2xx),
 * `checksum` (the bytes differ from the published sha256 or size), `truncated` (the body ended early), `network` (no
 * connection: refused, DNS, reset, timeout), `archive` (the zip lacks a member or cannot be read).
 */
export type DownloadFailure = 'not-found' | 'http-status' | 'checksum' | 'truncated' | 'network' | 'archive';

/**
 * A data file could not be fetched or did not verify. `url` is where it was fetched from, `file` the data file it was
 * for (its path in the data folder); nothing half-written is left where a reader would take it for the file.
 */
export class DownloadError extends PeftError {
  readonly url: string;
  readonly file: string;
  readonly failure: DownloadFailure;
  constructor(failure: DownloadFailure, url: string, file: string, message: string, options?: { cause?: unknown }) {
    super('E_DOWNLOAD', `${file} (from ${url}): ${message}`, options);
    this.url = url;
    this.file = file;
    this.failure = failure;
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
 * A run stopped on SIGINT or SIGTERM after writing a checkpoint at `step`: kind `environment` (something outside
 * stopped it; running it again resumes), exit code the shell's 128 + signal number (130, 143). `resumeCommand` is the
 * command line that continues it.
 */
export class RunInterruptedError extends PeftError {
  readonly signal: NodeJS.Signals;
  readonly step: number;
  readonly resumeCommand: string;
  constructor(signal: NodeJS.Signals, step: number, resumeCommand: string) {
    super('E_INTERRUPTED', `${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: stopped at step ${step}; resume with: ${resumeCommand}`, {
      kind: 'environment',
      exitCode: signal === 'SIGINT' ? 130 : 143,
    });
    this.signal = signal;
    this.step = step;
    this.resumeCommand = resumeCommand;
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
