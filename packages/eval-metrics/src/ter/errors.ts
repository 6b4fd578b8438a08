/**
 * Typed errors of the TER scorer. They follow the shape of `PeftError` in @peft/core (a stable `code` plus a
 * message naming what is at fault) without importing it: @peft/eval-metrics is plain TypeScript with no
 * dependency on the tfjs-backed core.
 */
export class TerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The hypotheses and references handed to the scorer do not fit together (lengths, missing references). */
export class TerInputError extends TerError {
  /** The segment index (0-based) at fault, or -1 when the fault is the corpus as a whole. */
  readonly segment: number;
  constructor(segment: number, message: string) {
    super('E_TER_INPUT', segment >= 0 ? `segment ${segment}: ${message}` : message);
    this.segment = segment;
  }
}

/** A line of a tercom "trans" file (`text (id)`) could not be read. */
export class TercomTransFormatError extends TerError {
  /** 1-based line number in the text that was parsed. */
  readonly line: number;
  constructor(source: string, line: number, message: string) {
    super('E_TER_TRANS_FORMAT', `${source}, line ${line}: ${message}`);
    this.line = line;
  }
}
