/** One causal-LM training sequence (spec §7): ids, task ("segment") ids, and labels (−100 = not scored). */
export interface LmExample {
  readonly inputIds: number[];
  readonly tokenTypeIds: number[];
  readonly labels: number[];
}
