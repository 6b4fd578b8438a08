import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, FusedKernelNames, ShapeError, hasFusedKernel, runFusedKernel, valuesAtHand } from '@peft/core';
import { customOp, tidyObject, type GradFunc } from '../nn/tidy.js';
import type { CausalLm } from '../causal-lm.js';

/** The label value that marks a position without a target (PyTorch `ignore_index`). */
export const IGNORE_INDEX = -100;

export interface LmLossOptions {
  /** ε of `CrossEntropyLoss(label_smoothing=ε)`: (1 − ε)·NLL + ε·mean_k(−log p_k) over all V classes. Default 0. */
  readonly labelSmoothing?: number;
  /** Rows of the [rows, V] logits block computed at a time (default 128). */
  readonly chunkRows?: number;
  /**
   * The forward keeps the [N, V] logit gradient for the backward when it takes at most this many bytes (default
   * 256 MiB: B 8 × T 128 with GPT-2's vocabulary is 204 MB), saving one [N, d]·[d, V] matmul and a softmax pass;
   * above it the backward recomputes the logits chunk by chunk. 0 always recomputes.
   */
  readonly saveGradientBytes?: number;
}

/**
 * The shifted causal LM loss of GPT-2 with its tied head: position t predicts labels[t + 1]; labels of −100 are
 * ignored; the mean is over the remaining targets (0 when there are none, where PyTorch gives NaN). Targets and their
 * weights are made on the backend from `labels` (no read back); labels outside [0, V) and not −100 are an error where
 * their values are at hand (`valuesAtHand`).
 *
 * hidden [B, n, d] (the model's `hidden`), labels [B, n] int32. Computed in row chunks under a custom gradient, so the
 * [N, V] logits never exist at once and no gather needs a gradient (the backward recomputes each chunk's logits:
 * dlogits = softmax − (1 − ε)·onehot − ε/V, then dh = dlogits·wte and, for trainable added rows,
 * dA = dlogits[:, V₀:]ᵀ·h). Differentiable with respect to `hidden` and the model's trainable added rows.
 */
export function lmLoss(model: CausalLm, hidden: tf.Tensor3D, labels: tf.Tensor2D, options: LmLossOptions = {}): tf.Scalar {
  const eps = options.labelSmoothing ?? 0;
  const saveBudget = options.saveGradientBytes ?? 256 * 2 ** 20;
  if (!(eps >= 0 && eps < 1)) throw new ConfigError('labelSmoothing', `must be in [0, 1), got ${eps}`);
  const chunkRows = options.chunkRows ?? 128;
  if (!Number.isInteger(chunkRows) || chunkRows <= 0) throw new ConfigError('chunkRows', `must be a positive integer, got ${chunkRows}`);
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
  const chunks = Array.from({ length: Math.ceil(rows / chunkRows) }, (_, i) => [i * chunkRows, Math.min(chunkRows, rows - i * chunkRows)] as const);

  const lossOf = ([x, aIn]: tf.Tensor[], save: tf.GradSaveFunc): { value: tf.Tensor; gradFunc: GradFunc } => {
    const a = (aIn as tf.Tensor2D | undefined) ?? null;
    // When the [N, V] logit gradient fits the budget, the forward keeps it (per chunk, without dy) and the backward is
    // one matmul per chunk; otherwise the backward recomputes each chunk's logits (one more [r, d]·[d, V] matmul).
    // (only when a tape records: otherwise tfjs saves nothing and no backward follows; tfjs-core 4.22's engine state)
    const recording = ((tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth ?? 0) > 0;
    const keepGrads = recording && rows * vocab * 4 <= saveBudget;
    const unitGrads: tf.Tensor2D[] = [];
    let total: tf.Scalar = tf.scalar(0);
    for (const [start, r] of chunks) {
      const [next, g] = tidyObject(() => {
        const z = chunkLogits(tf.slice(x as tf.Tensor2D, [start, 0], [r, d]), a); // [r, V]
        const y = tf.slice(safeTargets, [start], [r]);
        const w = tf.slice(weights, [start], [r]);
        const { lse, rowLoss } = rowStats(z, y); // [r] each
        const sum = tf.add(total, tf.sum(tf.mul(rowLoss, w))) as tf.Scalar;
        return [sum, keepGrads ? unitGradient(z, lse, y, w) : null] as const;
      });
      total.dispose();
      total = next;
      if (g) unitGrads.push(g);
    }
    // the backward needs the targets too: `save` keeps copies past this call (the originals are disposed at its end)
    save([x!, safeTargets, weights, ...(a ? [a] : []), ...unitGrads]);
    unitGrads.forEach((g) => g.dispose());
    const hasAdded = a !== null;
    return {
      value: total,
      gradFunc: (dy, saved) => {
        const [xs, ys, ws] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const as = hasAdded ? (saved[3] as tf.Tensor2D) : undefined;
        const kept = saved.slice(hasAdded ? 4 : 3) as tf.Tensor2D[];
        const dxParts: tf.Tensor[] = [];
        let da: tf.Tensor | undefined = as ? tf.zerosLike(as) : undefined;
        for (const [c, [start, r]] of chunks.entries()) {
          const [dxc, dac] = tf.tidy(() => {
            const h = tf.slice(xs, [start, 0], [r, d]);
            const unit = keepGrads
              ? kept[c]!
              : unitGradient(chunkLogits(h, as ?? null), null, tf.slice(ys, [start], [r]), tf.slice(ws, [start], [r]));
            const dz = tf.mul(unit, dy) as tf.Tensor2D; // [r, V]
            if (!as) return [tf.matMul(dz, table), undefined] as const;
            const dzFrozen = tf.slice(dz, [0, 0], [r, v0]) as tf.Tensor2D;
            const dzAdded = tf.slice(dz, [0, v0], [r, -1]) as tf.Tensor2D;
            return [tf.add(tf.matMul(dzFrozen, table), tf.matMul(dzAdded, as)), tf.matMul(dzAdded, h, true, false)] as const;
          });
          dxParts.push(dxc);
          if (da && dac) {
            const next = tf.add(da, dac);
            da.dispose();
            dac.dispose();
            da = next;
          }
        }
        const dx = dxParts.length === 1 ? dxParts[0]! : tf.concat(dxParts, 0);
        return da ? [dx, da] : [dx];
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
