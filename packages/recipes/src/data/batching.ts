import { IGNORE_INDEX } from './special-tokens.js';
import type { LmExample } from './lm-example.js';
import type { ClassifierExample } from './glue-sequence.js';

/**
 * How sequences are padded. `global` (the reference, spec §7.2): every batch of a split has the split's longest length.
 * `batch`: each batch is padded to its own longest sequence only, which is faster (less padding) and gives the same
 * loss for causal LMs because pads sit at the end and are never labelled; it changes nothing but speed.
 */
export type PaddingMode = 'global' | 'batch';

/** A padded causal-LM batch: row-major [B, n] int32 arrays. */
export interface LmBatch {
  readonly batchSize: number;
  readonly length: number;
  readonly inputIds: Int32Array; // [B, n]
  readonly tokenTypeIds: Int32Array; // [B, n]
  readonly labels: Int32Array; // [B, n], −100 on padding and prompt
  /** Number of labelled positions that the shifted loss scores (label at position ≥ 1). */
  readonly labelCount: number;
}

/** A padded classification batch. */
export interface ClassifierBatch {
  readonly batchSize: number;
  readonly length: number;
  readonly inputIds: Int32Array; // [B, n]
  readonly attentionMask: Int32Array; // [B, n]
  readonly labels: Int32Array; // [B]
}

export function maxLength(examples: readonly { inputIds: readonly number[] }[]): number {
  let m = 0;
  for (const e of examples) m = Math.max(m, e.inputIds.length);
  return m;
}

/** Pads LM examples to `length` (≥ each one's length): ids and types with `padId`, labels with −100. */
export function padLmBatch(examples: readonly LmExample[], padId: number, length = maxLength(examples)): LmBatch {
  const B = examples.length;
  const inputIds = new Int32Array(B * length).fill(padId);
  const tokenTypeIds = new Int32Array(B * length).fill(padId);
  const labels = new Int32Array(B * length).fill(IGNORE_INDEX);
  let labelCount = 0;
  examples.forEach((e, b) => {
    if (e.inputIds.length > length) throw new RangeError(`example of length ${e.inputIds.length} exceeds the pad length ${length}`);
    inputIds.set(e.inputIds, b * length);
    tokenTypeIds.set(e.tokenTypeIds, b * length);
    labels.set(e.labels, b * length);
    for (let i = 1; i < e.labels.length; i++) if (e.labels[i] !== IGNORE_INDEX) labelCount++;
  });
  return { batchSize: B, length, inputIds, tokenTypeIds, labels, labelCount };
}

/** Pads classifier examples to `length` with `padId` (mask 0). */
export function padClassifierBatch(examples: readonly ClassifierExample[], padId: number, length = maxLength(examples)): ClassifierBatch {
  const B = examples.length;
  const inputIds = new Int32Array(B * length).fill(padId);
  const attentionMask = new Int32Array(B * length);
  const labels = new Int32Array(B);
  examples.forEach((e, b) => {
    if (e.inputIds.length > length) throw new RangeError(`example of length ${e.inputIds.length} exceeds the pad length ${length}`);
    inputIds.set(e.inputIds, b * length);
    attentionMask.set(e.attentionMask, b * length);
    labels[b] = e.label;
  });
  return { batchSize: B, length, inputIds, attentionMask, labels };
}

/** A split's examples with a batch builder that applies the padding mode. */
export class PaddedSplit<E extends { inputIds: readonly number[] }, B> {
  readonly globalLength: number;
  constructor(
    readonly examples: readonly E[],
    private readonly pad: (examples: readonly E[], length: number) => B,
    readonly mode: PaddingMode = 'global',
  ) {
    this.globalLength = maxLength(examples);
  }
  get size(): number {
    return this.examples.length;
  }
  batch(indices: readonly number[]): B {
    const ex = indices.map((i) => this.examples[i]!);
    return this.pad(ex, this.mode === 'global' ? this.globalLength : maxLength(ex));
  }
}

export function lmSplit(examples: readonly LmExample[], padId: number, mode: PaddingMode = 'global'): PaddedSplit<LmExample, LmBatch> {
  return new PaddedSplit(examples, (ex, n) => padLmBatch(ex, padId, n), mode);
}
export function classifierSplit(
  examples: readonly ClassifierExample[],
  padId: number,
  mode: PaddingMode = 'global',
): PaddedSplit<ClassifierExample, ClassifierBatch> {
  return new PaddedSplit(examples, (ex, n) => padClassifierBatch(ex, padId, n), mode);
}

/** Consecutive index batches 0..n−1 in order (for evaluation). */
export function sequentialBatches(n: number, batchSize: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i += batchSize) out.push(Array.from({ length: Math.min(batchSize, n - i) }, (_, k) => i + k));
  return out;
}
