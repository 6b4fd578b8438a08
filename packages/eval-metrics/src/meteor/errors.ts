import { PeftError, type PeftErrorKind } from '@peft/core/errors';

/** Typed errors of the METEOR scorer: PeftErrors (from @peft/core's tfjs-free `errors` entry). */
export class MeteorError extends PeftError {
  constructor(code: string, message: string, kind: PeftErrorKind = 'input') {
    super(code, message, { kind });
  }
}

/** Hypotheses, references or options handed to the scorer do not fit together. */
export class MeteorInputError extends MeteorError {
  /** The segment index (0-based) at fault, or -1 when the fault is the call as a whole. */
  readonly segment: number;
  constructor(segment: number, message: string) {
    super('E_METEOR_INPUT', segment >= 0 ? `segment ${segment}: ${message}` : message);
    this.segment = segment;
  }
}

/** A resource file (paraphrase table, WordNet database, exception list) is missing or malformed. */
export class MeteorResourceError extends MeteorError {
  /** The file (or resource name) at fault. */
  readonly source: string;
  constructor(source: string, message: string) {
    super('E_METEOR_RESOURCE', `${source}: ${message}`, 'data');
    this.source = source;
  }
}
