import { PeftError } from '@peft/core';

/**
 * A sweep file is unreadable, not JSON / YAML, or has a field of the wrong type or value; `field` is its path. Its kind
 * is `input` (exit 2), except a file that cannot be read at all, which is `data` (exit 1, as any missing input file).
 */
export class SweepFileError extends PeftError {
  readonly file: string;
  readonly field: string;
  constructor(file: string, field: string, message: string, options?: { cause?: unknown; kind?: 'input' | 'data' }) {
    super('E_SWEEP_FILE', `${file}${field ? `: field '${field}'` : ''}: ${message}`, { kind: 'input', ...options });
    this.file = file;
    this.field = field;
  }
}

/** The queue could not be reached, or holds something other than what a sweep command expects. */
export class SweepQueueError extends PeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SWEEP_QUEUE', message, { ...options, kind: 'environment' });
  }
}

/**
 * Redis does not answer: the connection is refused or times out, or the server accepts and never replies. The `peft`
 * command exits with `exitCode` (69, sysexits' EX_UNAVAILABLE: a service is down, not an error in the inputs).
 */
export class RedisUnreachableError extends PeftError {
  readonly url: string;
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super('E_REDIS_UNREACHABLE', `Redis at ${redactUrl(url)} is unreachable (${reason})`, { ...options, kind: 'environment', exitCode: 69 });
    this.url = url;
  }
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
