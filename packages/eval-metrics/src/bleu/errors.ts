// The typed error of this package: bad input to a metric, naming the file (and line) at fault when there is one.
// A PeftError (from @peft/core's tfjs-free `errors` entry): kind `data` for a file that cannot be read, `input` otherwise.
import { PeftError } from '@peft/core/errors';

export type MetricsInputErrorCode =
  | 'LINE_COUNT_MISMATCH'
  | 'UNREADABLE_FILE'
  | 'INVALID_JSON'
  | 'INVALID_UTF8'
  | 'INVALID_XML'
  | 'INVALID_DATA'
  | 'INVALID_ARGUMENT';

export class MetricsInputError extends PeftError {
  declare readonly code: MetricsInputErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(code: MetricsInputErrorCode, message: string, location: { file?: string; line?: number } = {}) {
    super(code, message, { kind: code === 'UNREADABLE_FILE' ? 'data' : 'input' });
    this.file = location.file;
    this.line = location.line;
  }
}
