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

/**
 * The weights hold layers the config does not count (config.json's `n_layer` 1 over 2-layer weights): the model would
 * quietly use a part of them. `tensors` are the unused layer tensors; `field` names the config value.
 */
export class UnusedLayerTensorsError extends CheckpointError {
  readonly tensors: readonly string[];
  readonly field: string;
  constructor(path: string, tensors: readonly string[], field: string, configLayers: number, weightLayers: number) {
    const shown = tensors.slice(0, 3).join(', ') + (tensors.length > 3 ? `, … (${tensors.length} tensors)` : '');
    super(
      'E_UNUSED_LAYERS',
      path,
      `holds weights of ${weightLayers} layers (${shown} unused), but ${field} is ${configLayers}: the two must agree`,
    );
    this.tensors = tensors;
    this.field = field;
  }
}
