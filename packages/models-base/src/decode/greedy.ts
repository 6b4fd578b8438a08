import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@peft/core';
import { disposeCache, type KeyValueCache } from '../cache.js';
import type { CausalLm } from '../causal-lm.js';
import { tidyObject } from '../nn/tidy.js';

export interface GreedyOptions {
  /** One prompt per row, of any lengths (≥ 1); rows are LEFT-padded internally and the padding is masked. */
  readonly inputIds: readonly (readonly number[])[];
  /** Token-type ids of the prompts, same lengths as `inputIds` (spec §7.1 task embeddings); absent: none. */
  readonly tokenTypeIds?: readonly (readonly number[])[];
  /**
   * Token type of the generated tokens: one id, or one per row. Default (spec §7.2): the target segment's type
   * continues, i.e. each row's last prompt token type.
   */
  readonly newTokenTypeIds?: number | readonly number[];
  /** A row stops when it emits one of these (spec §8.1: the task's special tokens); the stop token is not kept. */
  readonly stopTokens?: readonly number[];
  /** At most this many new tokens per row (default 40, spec §8.1). */
  readonly maxNewTokens?: number;
  /** The id that fills the left padding (masked, so any valid id; default 0). */
  readonly padTokenId?: number;
  /** Use the key/value cache (default true); false recomputes the whole sequence at every step, as the reference does. */
  readonly useCache?: boolean;
}

export interface GreedyResult {
  /** The new tokens of each row, without the stop token. */
  readonly tokens: number[][];
  /** Why each row ended: it emitted a stop token, or reached `maxNewTokens`. */
  readonly finishReason: ('stop' | 'length')[];
  /** The stop token each row emitted, or null. */
  readonly stopToken: (number | null)[];
}

/**
 * Batched greedy decoding (argmax at every step; spec §8.1's temperature and top-p do not change an argmax). Works
 * with any method attached: per-query supports need nothing, shared supports (prefix) are asked for again by the
 * model at every call and never cached, `positionOffset` is applied by the model.
 *
 * Rows are left-padded to a common length T; pad keys are masked and each row's positions count its real tokens
 * only (0, 1, … like an unpadded run), so a row decodes as it would alone, up to float rounding.
 *
 * Asynchronous: each step reads the chosen tokens back with `data()`, the one way every backend (WebGPU in Node
 * included) can hand device data to JavaScript.
 */
export async function generateGreedy(model: CausalLm, options: GreedyOptions): Promise<GreedyResult> {
  return decodeTokens(model, options, ARGMAX);
}

/**
 * How a decoding step picks each row's next token from the last position's logits [B, V]: `device` computes on the
 * backend what is read back (argmax ids [B], or probabilities [B, V]), `host` turns those values into one id per row.
 */
export interface TokenChooser {
  device(logits: tf.Tensor2D): tf.Tensor;
  host(values: ArrayLike<number>, rows: number): number[];
}

const ARGMAX: TokenChooser = {
  device: (logits) => tf.argMax(logits, -1),
  host: (values) => Array.from(values),
};

/** The batched decoding loop of {@link generateGreedy}, with the step's choice of tokens given. */
export async function decodeTokens(model: CausalLm, options: GreedyOptions, chooser: TokenChooser): Promise<GreedyResult> {
  const prompts = options.inputIds;
  const rows = prompts.length;
  if (rows === 0) throw new ConfigError('inputIds', 'needs at least one prompt');
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new ConfigError(`inputIds[${i}]`, 'is empty');
  });
  const types = options.tokenTypeIds;
  if (types) {
    if (types.length !== rows) throw new ConfigError('tokenTypeIds', `has ${types.length} rows, inputIds ${rows}`);
    types.forEach((t, i) => {
      if (t.length !== prompts[i]!.length) throw new ConfigError(`tokenTypeIds[${i}]`, `has ${t.length} ids, inputIds[${i}] ${prompts[i]!.length}`);
    });
  }
  const maxNew = options.maxNewTokens ?? 40;
  if (!Number.isInteger(maxNew) || maxNew < 0) throw new ConfigError('maxNewTokens', `must be a non-negative integer, got ${maxNew}`);
  const pad = options.padTokenId ?? 0;
  const stops = new Set(options.stopTokens ?? []);
  const newTypes: number[] | undefined = types
    ? Array.from({ length: rows }, (_, i) => {
        const o = options.newTokenTypeIds;
        if (o === undefined) return types[i]![types[i]!.length - 1]!;
        return typeof o === 'number' ? o : o[i]!;
      })
    : undefined;

  const lengths = prompts.map((p) => p.length);
  const width = Math.max(...lengths);
  // Growing per-row state, left-padded: ids, types, mask and positions of every position so far.
  const ids = prompts.map((p) => [...new Array<number>(width - p.length).fill(pad), ...p]);
  const tts = types?.map((t) => [...new Array<number>(width - t.length).fill(pad), ...t]);
  const mask = lengths.map((l) => [...new Array<number>(width - l).fill(0), ...new Array<number>(l).fill(1)]);
  const positions = lengths.map((l) => [...new Array<number>(width - l).fill(0), ...Array.from({ length: l }, (_, j) => j)]);

  const tokens: number[][] = prompts.map(() => []);
  const finishReason: ('stop' | 'length')[] = prompts.map(() => 'length');
  const stopToken: (number | null)[] = prompts.map(() => null);
  const done = prompts.map(() => maxNew === 0);
  const useCache = options.useCache ?? true;
  let cache: KeyValueCache | undefined;

  const tensor2d = (m: number[][], from: number) => tf.tensor2d(m.map((r) => r.slice(from)), [rows, m[0]!.length - from], 'int32');
  try {
    for (let step = 0; step < maxNew && done.some((d) => !d); step++) {
      const from = useCache && cache ? cache.length : 0; // columns to feed
      const next = tidyObject(() => {
        const out = model.forward({
          inputIds: tensor2d(ids, from),
          ...(tts ? { tokenTypeIds: tensor2d(tts, from) } : {}),
          attentionMask: tensor2d(mask, 0),
          positionIds: tensor2d(positions, from),
          ...(useCache ? { useCache: true } : {}),
          ...(useCache && cache ? { cache } : {}),
        });
        const [, n, d] = out.hidden.shape;
        const last = tf.reshape(tf.slice(out.hidden, [0, n - 1, 0], [rows, 1, d]), [rows, d]);
        const choice = chooser.device(model.logits(last) as tf.Tensor2D); // [B] ids or [B, V] probabilities
        return { choice, cache: out.cache };
      });
      disposeCache(cache);
      cache = next.cache;
      let chosen: number[];
      try {
        chosen = chooser.host(await next.choice.data(), rows);
      } finally {
        next.choice.dispose();
      }
      for (let b = 0; b < rows; b++) {
        const tok = chosen[b]!;
        if (!done[b]) {
          if (stops.has(tok)) {
            done[b] = true;
            finishReason[b] = 'stop';
            stopToken[b] = tok;
          } else {
            tokens[b]!.push(tok);
            if (tokens[b]!.length >= maxNew) done[b] = true;
          }
        }
        // every row takes a new position (a finished row's is never read)
        ids[b]!.push(tok);
        tts?.[b]!.push(newTypes![b]!);
        mask[b]!.push(1);
        positions[b]!.push(positions[b]![positions[b]!.length - 1]! + 1);
      }
    }
  } finally {
    disposeCache(cache);
  }
  return { tokens, finishReason, stopToken };
}
