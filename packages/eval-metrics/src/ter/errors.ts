import { PeftError } from '@peft/core/errors';

/** Typed errors of the TER scorer: PeftErrors (from @peft/core's tfjs-free `errors` entry), all of kind `input`. */
export class TerError extends PeftError {
  constructor(code: string, message: string) {
    super(code, message, { kind: 'input' });
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
