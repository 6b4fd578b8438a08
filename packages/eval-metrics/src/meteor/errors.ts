/**
 * Typed errors of the METEOR scorer. Same shape as `PeftError` in @peft/core (a stable `code` plus a message naming
 * what is at fault) without importing it: @peft/eval-metrics is plain TypeScript with no dependency on the core.
 */
export class MeteorError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
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
    super('E_METEOR_RESOURCE', `${source}: ${message}`);
    this.source = source;
  }
}
