import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, FusedKernelNames, ShapeError, hasFusedKernel, runFusedKernel, valuesAtHand } from '@peft/core';
import { customOp, tidyObject, type GradFunc } from '../nn/tidy.js';
import type { CausalLm } from '../causal-lm.js';

/** The label value that marks a position without a target (PyTorch `ignore_index`). */
export const IGNORE_INDEX = -100;

export interface LmLossOptions {
  /** ε of `CrossEntropyLoss(label_smoothing=ε)`: (1 − ε)·NLL + ε·mean_k(−log p_k) over all V classes. Default 0. */
  readonly labelSmoothing?: number;
  /**
   * Rows of the [rows, V] logits block computed at a time, at most. Default: {@link lmLossChunks} of the vocabulary's
   * {@link lmLossChunkRows}.
   */
  readonly chunkRows?: number;
}

/** The bytes of one [rows, V] float32 logits chunk the default chunk size aims at. */
const CHUNK_BYTES = 64 * 2 ** 20;

/**
 * The default rows of a loss chunk for a vocabulary of V: a 64 MiB [rows, V] block, 128 to 1,024 rows (GPT-2's and
 * SmolLM2's vocabularies: 333 and 341 rows). Each chunk's two products read the whole [V, d] table, whose packing the
 * GEMM repeats per call: GPT-2's head runs at ~373 GFLOP/s in 128-row chunks, ~437 in 333-row ones, ~445 in 512
 * (scripts/bench/head-chunks.mjs, wasm + @peft/blas, 2 threads); the step's transients are about three chunks (logits,
 * their gradient, a product's packing).
 */
export function lmLossChunkRows(vocab: number): number {
  return Math.max(128, Math.min(1024, Math.floor(CHUNK_BYTES / (4 * Math.max(1, vocab)))));
}

/**
 * The row chunks [start, rows] of the default loss over N rows: as few as hold N in chunks of at most 9/8 of
 * {@link lmLossChunkRows}, evened out. Each chunk's two products read the whole [V, d] table whatever its rows, so a
 * sliver of a last chunk costs nearly a full one: GPT-2 at B 8 × T 128 (1,016 rows) takes three chunks of 339 rows,
 * not 333, 333, 333 and 17 (whose products ran at ~65 GFLOP/s against ~440; scripts/bench/profile-step.mjs by=shape).
 */
export function lmLossChunks(rows: number, vocab: number): Array<readonly [start: number, rows: number]> {
  const count = Math.max(1, Math.ceil(rows / Math.floor((lmLossChunkRows(vocab) * 9) / 8)));
  const base = Math.floor(rows / count), extra = rows % count; // the first `extra` chunks take one row more
  return Array.from({ length: count }, (_, i) => [i * base + Math.min(i, extra), base + (i < extra ? 1 : 0)] as const);
}

/**
 * The shifted causal LM loss of GPT-2 with its tied head: position t predicts labels[t + 1]; labels of −100 are
 * ignored; the mean is over the remaining targets (0 when there are none, where PyTorch gives NaN). Targets and their
 * weights are made on the backend from `labels` (no read back); labels outside [0, V) and not −100 are an error where
 * their values are at hand (`valuesAtHand`).
 *
 * hidden [B, n, d] (the model's `hidden`), labels [B, n] int32. Computed in row chunks under a custom gradient, so the
 * [N, V] logits never exist at once and no gather needs a gradient. The loss is the last op of a step, so its
 * gradient is known up to the scalar dy the backward brings: when a tape records, the forward finishes each chunk's
 * backward on the spot — dlogits = (softmax − (1 − ε)·onehot − ε/V)·w, then dh = dlogits·wte and, for trainable
 * added rows, dA = dlogits[:, V₀:]ᵀ·h — and keeps only dh [N, d] (and dA [k, d]); the backward multiplies them by dy.
 * Neither the [N, V] logit gradient (401 MB at SmolLM2's B 8 × T 256) nor a second logits product is needed.
 * Differentiable with respect to `hidden` and the model's trainable added rows.
 */
export function lmLoss(model: CausalLm, hidden: tf.Tensor3D, labels: tf.Tensor2D, options: LmLossOptions = {}): tf.Scalar {
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new ConfigError('labelSmoothing', `must be in [0, 1), got ${eps}`);
  const chunkRows = options.chunkRows;
  if (chunkRows !== undefined && (!Number.isInteger(chunkRows) || chunkRows <= 0)) throw new ConfigError('chunkRows', `must be a positive integer, got ${chunkRows}`);
  const [b, n, d] = hidden.shape;
  if (labels.shape[0] !== b || labels.shape[1] !== n) throw new ShapeError('labels', [b, n], labels.shape);
  if (labels.dtype !== 'int32') throw new ConfigError('labels', `must be an int32 tensor, got ${labels.dtype}`);
  const vocab = model.vocabSize;
  const host = valuesAtHand(labels);
  if (host) {
    for (let i = 0, k = 0; i < host.length; i++) {
      if (i % n === 0) continue; // labels[:, 1:]
      const y = host[i]!;
      if (y !== IGNORE_INDEX && (y < 0 || y >= vocab)) throw new ConfigError('labels', `value ${y} (shifted index ${k}) is outside [0, ${vocab}) and is not -100`);
      k++;
    }
  }
  const rows = b * (n - 1);
  if (rows === 0) return tf.tidy(() => tf.mul(tf.sum(hidden), 0) as tf.Scalar);

  const embedding = model.embedding;
  embedding.prepareHead(); // the [d, V0] copy where the backend needs one, made outside the gradient scope
  const table = embedding.frozenTable(); // [V0, d]
  const added = embedding.addedRows; // [k, d] | null
  const v0 = embedding.frozenVocabSize;
  // [N] each: the shifted targets (−100 → 0) and their weights 1/count (0 where ignored; all 0 when none is scored)
  const [safeTargets, weights] = tf.tidy(() => {
    const shifted = tf.reshape(tf.slice(labels, [0, 1], [b, n - 1]), [rows]);
    const scored = tf.notEqual(shifted, IGNORE_INDEX);
    const valid = tf.cast(scored, 'float32');
    const count = tf.maximum(tf.sum(valid), 1);
    return [tf.where(scored, shifted, tf.zerosLike(shifted)) as tf.Tensor1D, tf.div(valid, count) as tf.Tensor1D];
  });

  const chunkLogits = (h: tf.Tensor2D, a: tf.Tensor2D | null): tf.Tensor2D => {
    const frozen = embedding.frozenLogits(h); // [r, V0]
    return a ? (tf.concat([frozen, tf.matMul(h, a, false, true)], 1) as tf.Tensor2D) : frozen;
  };
  // @peft/core's fused kernels for the two passes over each chunk, where the backend has them (@peft/webgpu, @peft/blas)
  const fused = hasFusedKernel(FusedKernelNames.softmaxCrossEntropy) && hasFusedKernel(FusedKernelNames.softmaxCrossEntropyGrad);
  const smoothing = { labelSmoothing: eps };
  /** Per row of a chunk: [r] logsumexp and [r] loss lse − (1 − ε)·z_y − ε·mean z. */
  const rowStats = (z: tf.Tensor2D, y: tf.Tensor1D): { lse: tf.Tensor1D; rowLoss: tf.Tensor1D } => {
    if (fused) {
      const s = runFusedKernel(FusedKernelNames.softmaxCrossEntropy, { logits: z, labels: y }, smoothing); // [r, 2]
      const [lse, rowLoss] = tf.unstack(s, 1) as [tf.Tensor1D, tf.Tensor1D];
      return { lse, rowLoss };
    }
    const r = z.shape[0];
    const lse = tf.logSumExp(z, 1) as tf.Tensor1D; // [r]
    const picked = tf.gather(tf.reshape(z, [-1]), tf.add(tf.range(0, r * vocab, vocab, 'int32'), y)); // z[i, y_i], forward only
    return { lse, rowLoss: tf.sub(tf.sub(lse, tf.mul(picked, 1 - eps)), tf.mul(tf.mean(z, 1), eps)) as tf.Tensor1D };
  };
  /** ∂loss/∂z for one chunk, per unit dy: (softmax(z) − ((1 − ε)·onehot(y) + ε/V))·w, w = 1/count or 0. */
  const unitGradient = (z: tf.Tensor2D, lse: tf.Tensor | null, y: tf.Tensor1D, w: tf.Tensor1D): tf.Tensor2D =>
    tf.tidy(() => {
      if (fused) {
        const l = lse ?? rowStats(z, y).lse;
        return runFusedKernel(FusedKernelNames.softmaxCrossEntropyGrad, { logits: z, lse: l, labels: y, weights: w }, smoothing) as tf.Tensor2D;
      }
      const p = lse ? tf.exp(tf.sub(z, tf.reshape(lse, [-1, 1]))) : tf.softmax(z);
      const target = tf.add(tf.mul(tf.cast(tf.oneHot(y, vocab), 'float32'), 1 - eps), eps / vocab);
      return tf.mul(tf.sub(p, target), tf.reshape(w, [-1, 1])) as tf.Tensor2D;
    });
  const chunks =
    chunkRows === undefined
      ? lmLossChunks(rows, vocab)
      : Array.from({ length: Math.ceil(rows / chunkRows) }, (_, i) => [i * chunkRows, Math.min(chunkRows, rows - i * chunkRows)] as const);

  const lossOf = ([x, aIn]: tf.Tensor[], save: tf.GradSaveFunc): { value: tf.Tensor; gradFunc: GradFunc } => {
    const a = (aIn as tf.Tensor2D | undefined) ?? null;
    // (only when a tape records: otherwise tfjs saves nothing and no backward follows; tfjs-core 4.22's engine state)
    const recording = ((tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth ?? 0) > 0;
    const dxParts: tf.Tensor2D[] = []; // per chunk, ∂loss/∂h per unit dy [r, d]
    let da: tf.Tensor2D | null = null; // ∂loss/∂A per unit dy [k, d]
    let total: tf.Scalar = tf.scalar(0);
    for (const [start, r] of chunks) {
      const [next, dxc, dac] = tidyObject(() => {
        const h = tf.slice(x as tf.Tensor2D, [start, 0], [r, d]); // [r, d]
        const z = chunkLogits(h, a); // [r, V]
        const y = tf.slice(safeTargets, [start], [r]);
        const w = tf.slice(weights, [start], [r]);
        const { lse, rowLoss } = rowStats(z, y); // [r] each
        const sum = tf.add(total, tf.sum(tf.mul(rowLoss, w))) as tf.Scalar;
        if (!recording) return [sum, null, null] as const;
        const dz = unitGradient(z, lse, y, w); // [r, V]
        if (!a) return [sum, tf.matMul(dz, table), null] as const;
        const dzFrozen = tf.slice(dz, [0, 0], [r, v0]) as tf.Tensor2D;
        const dzAdded = tf.slice(dz, [0, v0], [r, -1]) as tf.Tensor2D;
        const dac = tf.matMul(dzAdded, h, true, false); // [k, d]
        return [sum, tf.add(tf.matMul(dzFrozen, table), tf.matMul(dzAdded, a)) as tf.Tensor2D, da ? tf.add(da, dac) : dac] as const;
      });
      total.dispose();
      total = next;
      if (dxc) dxParts.push(dxc);
      if (dac) {
        da?.dispose();
        da = dac as tf.Tensor2D;
      }
    }
    if (!recording) return { value: total, gradFunc: () => [] };
    const dxUnit = dxParts.length === 1 ? dxParts[0]! : (tf.concat(dxParts, 0) as tf.Tensor2D); // [N, d]
    // `save` keeps copies past this call (the originals are disposed at its end)
    save([dxUnit, ...(da ? [da] : [])]);
    dxParts.forEach((p) => p.dispose());
    if (dxParts.length > 1) dxUnit.dispose();
    (da as tf.Tensor2D | null)?.dispose();
    const hasAdded = a !== null;
    return {
      value: total,
      gradFunc: (dy, saved) => {
        const dx = tf.mul(saved[0]!, dy);
        return hasAdded ? [dx, tf.mul(saved[1]!, dy)] : [dx];
      },
    };
  };

  try {
    return tf.tidy(() => {
      const x = tf.reshape(tf.slice(hidden, [0, 0, 0], [b, n - 1, d]), [rows, d]) as tf.Tensor2D; // [N, d]
      const f = customOp(lossOf);
      return (added ? f(x, added) : f(x)) as tf.Scalar;
    });
  } finally {
    safeTargets.dispose();
    weights.dispose();
  }
}
