import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, EVAL_CONTEXT, finiteEntryToTensor, readSafetensorsFile, typedArrayToEntry, writeSafetensorsFile, type ForwardContext, type SafetensorsEntry, type TunedModel } from '@peft/core';
import { generateGreedy, lmLoss, type TunableCausalLm } from '@peft/models-base';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { LmBatch, PaddedSplit } from '../data/batching.js';
import { sequentialBatches } from '../data/batching.js';
import type { LmExample } from '../data/lm-example.js';
import { NLG_PAD_TOKEN, NLG_SPECIAL_TOKENS } from '../data/special-tokens.js';
import { requireTokenId, type TextTokenizer } from '../data/tokenizer.js';
import { ResumeError } from '../errors.js';
import type { Trainable, Validation } from '../train/loop.js';

/** File beside the adapter holding the trainable rows of the 16 task tokens (spec §6.1 `unfreeze_task_embeddings`). */
export const TASK_EMBEDDINGS_FILE = 'task_embeddings.safetensors';

/** A tokenizer the NLG recipes can grow with the task tokens. */
export interface NlgTokenizer extends TextTokenizer {
  addSpecialTokens(tokens: readonly string[]): number;
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
}

/**
 * Adds the 16 task tokens of spec §7.1 to the tokenizer and, as trainable N(0, 0.02) rows, to GPT-2's tied embedding.
 * The ids must follow the base vocabulary in the same order in both.
 */
export function addTaskTokens(model: TunableCausalLm, tok: NlgTokenizer, seed: number): void {
  const before = model.vocabSize;
  tok.addSpecialTokens(NLG_SPECIAL_TOKENS);
  const ids = model.addSpecialTokens(NLG_SPECIAL_TOKENS.length, { trainable: true, seed });
  const first = requireTokenId(tok, NLG_SPECIAL_TOKENS[0]);
  if (first !== before || ids[0] !== before) {
    throw new ResumeError('tokenizer', `task token ids start at ${first} in the tokenizer but ${ids[0]} in the model (vocabulary sizes differ)`);
  }
}

export function padId(tok: TextTokenizer): number {
  return requireTokenId(tok, NLG_PAD_TOKEN);
}

function lmHidden(model: TunableCausalLm, batch: LmBatch, ctx: ForwardContext, checkpointBlocks: boolean | number = false): { hidden: tf.Tensor3D; labels: tf.Tensor2D } {
  const shape: [number, number] = [batch.batchSize, batch.length];
  const inputIds = tf.tensor2d(batch.inputIds, shape, 'int32');
  // token types only for a model that embeds them (GPT-2); the others see the ids alone
  const tokenTypeIds = model.takesTokenTypeIds ? tf.tensor2d(batch.tokenTypeIds, shape, 'int32') : undefined;
  const labels = tf.tensor2d(batch.labels, shape, 'int32');
  const { hidden } = model.forward({ inputIds, ...(tokenTypeIds ? { tokenTypeIds } : {}), ctx, ...(checkpointBlocks ? { checkpointBlocks } : {}) });
  tf.dispose([inputIds, ...(tokenTypeIds ? [tokenTypeIds] : [])]);
  return { hidden, labels };
}

/**
 * The loop's view of GPT-2 + method: the method's variables and the task-token rows; the smoothed shifted LM loss.
 * `checkpointBlocks` rematerialises blocks in the backward pass (all: true, the first k: k), same gradients, less memory.
 */
export function nlgTrainable(model: TunableCausalLm, tuned: TunedModel, labelSmoothing: number, checkpointBlocks: boolean | number = false): Trainable<LmBatch> {
  const parameters = [...tuned.instance.params.entries(), ...model.extraTrainables().entries()] as const;
  return {
    parameters,
    loss: (batch, ctx) =>
      tf.tidy(() => {
        const { hidden, labels } = lmHidden(model, batch, ctx, checkpointBlocks);
        return lmLoss(model, hidden, labels, { labelSmoothing });
      }),
  };
}

/** Validation perplexity exp(mean NLL) over all labelled tokens of a split (per-batch means weighted by label count). */
export async function perplexity(model: TunableCausalLm, split: PaddedSplit<LmExample, LmBatch>, batchSize: number, limit = Infinity): Promise<Validation> {
  let nll = 0;
  let count = 0;
  for (const idx of sequentialBatches(Math.min(split.size, limit), batchSize)) {
    const batch = split.batch(idx);
    if (batch.labelCount === 0) continue;
    const mean = tf.tidy(() => {
      const { hidden, labels } = lmHidden(model, batch, EVAL_CONTEXT);
      return lmLoss(model, hidden, labels);
    });
    try {
      nll += (await mean.data())[0]! * batch.labelCount;
    } finally {
      mean.dispose();
    }
    count += batch.labelCount;
  }
  const mean = count ? nll / count : NaN;
  return { name: 'perplexity', value: Math.exp(mean), higherIsBetter: false, extra: { nll: mean, tokens: count } };
}

/** Greedy decoding of prompts (spec §8.1): stops at the task's special tokens, at most 40 new tokens, text without them. */
export async function decodePrompts(
  model: TunableCausalLm,
  tok: NlgTokenizer,
  prompts: readonly LmExample[],
  stopTokens: readonly string[],
  options: { batchSize?: number; maxNewTokens?: number } = {},
): Promise<string[]> {
  const stops = stopTokens.map((t) => requireTokenId(tok, t));
  const out: string[] = [];
  const bs = options.batchSize ?? 8;
  const room = model.positionLimit.tokens - (model.method?.positionOffset ?? 0);
  for (let i = 0; i < prompts.length; i += bs) {
    const chunk = prompts.slice(i, i + bs);
    // never past the model's last position: a prompt that leaves no room decodes to ''
    const longest = Math.max(...chunk.map((p) => p.inputIds.length));
    const maxNew = Math.min(options.maxNewTokens ?? 40, room - longest);
    if (maxNew <= 0) {
      out.push(...chunk.map(() => ''));
      continue;
    }
    const r = await generateGreedy(model, {
      inputIds: chunk.map((p) => p.inputIds),
      ...(model.takesTokenTypeIds ? { tokenTypeIds: chunk.map((p) => p.tokenTypeIds) } : {}),
      stopTokens: stops,
      maxNewTokens: maxNew,
      padTokenId: padId(tok),
    });
    for (const ids of r.tokens) out.push(tok.decode(ids, { skipSpecialTokens: true }).replace(/\n/g, '').trim());
  }
  return out;
}

/** Saves / loads the trainable task-token rows next to the adapter. */
export async function saveTaskEmbeddings(model: TunableCausalLm, dir: string): Promise<void> {
  const rows = model.extraTrainables().entries();
  if (!rows.length) return;
  const entries = new Map<string, SafetensorsEntry>();
  for (const [n, v] of rows) entries.set(n, typedArrayToEntry((await v.data()) as Float32Array, v.shape, 'F32'));
  await writeSafetensorsFile(join(dir, TASK_EMBEDDINGS_FILE), entries, { format: 'peft-task-embeddings' });
}

/**
 * Loads the task-token rows saved beside an adapter into `model` (after {@link addTaskTokens}). Training always saves
 * them when the model has such rows, so their absence is an error, not a fallback to the random rows (which would
 * decode differently); every row must be there, of the model's shape, finite. False when the model has no such rows.
 */
export async function loadTaskEmbeddings(model: TunableCausalLm, dir: string): Promise<boolean> {
  const path = join(dir, TASK_EMBEDDINGS_FILE);
  const set = model.extraTrainables();
  if (set.size === 0) return false;
  if (!existsSync(path)) {
    throw new CheckpointError('E_MISSING_FILE', path, `is missing: it holds the trained rows of the adapter's task tokens (${set.names().join(', ')}); without them the adapter would decode with random rows`);
  }
  const file = await readSafetensorsFile(path);
  const values: Record<string, tf.Tensor> = {};
  try {
    for (const [k, e] of file.tensors) values[k] = finiteEntryToTensor(e, k, path);
    set.assign(values, path);
  } finally {
    tf.dispose(Object.values(values));
  }
  return true;
}
