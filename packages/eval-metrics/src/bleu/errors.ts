// The typed error of this package: bad input to a metric, naming the file (and line) at fault when there is one.

export type MetricsInputErrorCode =
  | 'LINE_COUNT_MISMATCH'
  | 'UNREADABLE_FILE'
  | 'INVALID_JSON'
  | 'INVALID_UTF8'
  | 'INVALID_XML'
  | 'INVALID_DATA'
  | 'INVALID_ARGUMENT';

export class MetricsInputError extends Error {
  override readonly name = 'MetricsInputError';
  readonly code: MetricsInputErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(code: MetricsInputErrorCode, message: string, location: { file?: string; line?: number } = {}) {
    super(message);
    this.code = code;
    this.file = location.file;
    this.line = location.line;
  }
}
