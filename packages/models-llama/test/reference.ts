// What the CI tests and the e2e test share: the golden values transformers recorded (test/golden/hf-reference.json,
// written by test/hf/reference.py) and @peft's values for the same inputs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { generateGreedy } from '@peft/models-base';
import type { LlamaModel } from '@peft/models-llama';

export const GOLDEN_PATH = fileURLToPath(new URL('./golden/hf-reference.json', import.meta.url));
export const REFERENCE_SCRIPT = fileURLToPath(new URL('./hf/reference.py', import.meta.url));

export interface FixtureReference {
  readonly model_class: string;
  readonly rows: number[][];
  /** [row][real position][V] */
  readonly logits: number[][][];
  readonly inv_freq: number[];
  readonly greedy: number[][];
  readonly tokens: { text: string; ids: number[]; plain: number[]; decoded: string }[];
  readonly vocab_size: number;
  /** sum(p.numel() for p in model.parameters()): a tied head counted once. */
  readonly parameters: number;
}

export interface Reference {
  readonly transformers: string;
  readonly torch: string;
  readonly fixtures: Record<string, FixtureReference>;
}

export function readReference(path = GOLDEN_PATH): Reference {
  return JSON.parse(readFileSync(path, 'utf8')) as Reference;
}

/** The rows left-padded with 0, their mask, and positions counting real tokens (as the reference script does). */
export function paddedBatch(rows: readonly (readonly number[])[]): { ids: number[][]; mask: number[][]; positions: number[][] } {
  const width = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...new Array<number>(width - r.length).fill(0), ...r]),
    mask: rows.map((r) => [...new Array<number>(width - r.length).fill(0), ...new Array<number>(r.length).fill(1)]),
    positions: rows.map((r) => [...new Array<number>(width - r.length).fill(0), ...r.map((_, i) => i)]),
  };
}

/** @peft's logits at the real positions of the reference's padded batch, [row][position][V]. */
export function peftLogits(model: LlamaModel, rows: readonly (readonly number[])[]): number[][][] {
  const { ids, mask, positions } = paddedBatch(rows);
  const width = ids[0]!.length;
  const z = tf.tidy(() => {
    const b = rows.length;
    const out = model.forward({
      inputIds: tf.tensor2d(ids, [b, width], 'int32'),
      attentionMask: tf.tensor2d(mask, [b, width], 'int32'),
      positionIds: tf.tensor2d(positions, [b, width], 'int32'),
    });
    return model.logits(out.hidden);
  });
  const all = z.arraySync() as number[][][];
  z.dispose();
  return rows.map((r, b) => all[b]!.slice(width - r.length));
}

/** max |a − b| / max |b| over all values. */
export function relativeError(a: number[][][], b: number[][][]): number {
  let diff = 0;
  let scale = 0;
  a.forEach((rows, i) =>
    rows.forEach((v, j) =>
      v.forEach((x, k) => {
        const y = b[i]![j]![k]!;
        diff = Math.max(diff, Math.abs(x - y));
        scale = Math.max(scale, Math.abs(y));
      }),
    ),
  );
  return diff / scale;
}

/** Greedy continuations of the reference rows through the shared decoder (key/value cache on). */
export async function peftGreedy(model: LlamaModel, rows: readonly (readonly number[])[], newTokens: number): Promise<number[][]> {
  const out = await generateGreedy(model, { inputIds: rows, maxNewTokens: newTokens, padTokenId: 0 });
  return out.tokens;
}
