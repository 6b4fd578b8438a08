/** What a checkpoint load found beside the weights it used. */
export interface LoadReport {
  /** Tensors of the file the model does not use (known buffers and tied heads are not listed). */
  readonly unusedTensors: readonly string[];
  /** Weights absent from the file and initialised instead (RoBERTa's classification head, spec §3.6). */
  readonly initialisedTensors: readonly string[];
}

export const EMPTY_LOAD_REPORT: LoadReport = Object.freeze({ unusedTensors: [], initialisedTensors: [] });
