import { CheckpointError } from '@peft/core';

/** A checkpoint directory lacks `config.json` (code `E_NO_CONFIG`) or its weights (code `E_NO_WEIGHTS`). */
export class MissingCheckpointFileError extends CheckpointError {
  readonly file: string;
  constructor(code: 'E_NO_CONFIG' | 'E_NO_WEIGHTS', path: string, message: string) {
    super(code, path, message);
    this.file = path;
  }
}

/** The checkpoint is of another architecture than the loader's (loadGpt2 on a RoBERTa directory), or of none we know. */
export class ArchitectureMismatchError extends CheckpointError {
  readonly expected: string;
  readonly found: string;
  constructor(path: string, expected: string, found: string) {
    super('E_ARCHITECTURE', path, `model_type is '${found}', expected ${expected}`);
    this.expected = expected;
    this.found = found;
  }
}

/** A tensor has a dtype the model cannot use there (an integer tensor where a float weight is expected). */
export class TensorDtypeError extends CheckpointError {
  readonly tensor: string;
  readonly expected: string;
  readonly found: string;
  constructor(path: string, tensor: string, expected: string, found: string) {
    super('E_TENSOR_DTYPE', path, `tensor '${tensor}' has dtype ${found}, expected ${expected}`);
    this.tensor = tensor;
    this.expected = expected;
    this.found = found;
  }
}
