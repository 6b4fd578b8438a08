import { PeftError } from '@peft/core';

/** A sweep file is unreadable, not JSON / YAML, or has a field of the wrong type or value; `field` is its path. */
export class SweepFileError extends PeftError {
  readonly file: string;
  readonly field: string;
  constructor(file: string, field: string, message: string, options?: { cause?: unknown }) {
    super('E_SWEEP_FILE', `${file}${field ? `: field '${field}'` : ''}: ${message}`, options);
    this.file = file;
    this.field = field;
  }
}

/** The queue could not be reached, or holds something other than what a sweep command expects. */
export class SweepQueueError extends PeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SWEEP_QUEUE', message, options);
  }
}
