import { CheckpointError, PeftError } from '@peft/core';

/**
 * A tokenizer file is missing or malformed. `path` is the file (or the directory when no tokenizer file was found);
 * `line` is the 1-based line of merges.txt at fault, where there is one.
 */
export class TokenizerFileError extends CheckpointError {
  readonly line: number | undefined;
  constructor(code: 'E_TOKENIZER_MISSING' | 'E_TOKENIZER_FILE', path: string, message: string, line?: number) {
    super(code, line === undefined ? path : `${path}:${line}`, message);
    this.line = line;
  }
}

/** A tokenizer call got an argument it cannot use (an id outside the vocabulary, a max length below the specials). */
export class TokenizerInputError extends PeftError {
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('E_TOKENIZER_INPUT', `${argument}: ${message}`, { kind: 'input' });
    this.argument = argument;
  }
}
