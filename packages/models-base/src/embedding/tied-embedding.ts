import * as tf from '@tensorflow/tfjs-core';
import { BackendFeatures, ConfigError, ParameterSet, Rng, ShapeError, backendHasFeature, normal } from '@peft/core';
import { customOp } from '../nn/tidy.js';

/** The name of the trainable added rows in {@link TiedEmbedding.trainables}. */
export const ADDED_ROWS_PARAMETER = 'wte.added_rows';

let variableCounter = 0;

export interface AddTokensOptions {
  /** Seed of the N(0, 0.02) draw of the new rows (default 0). */
  readonly seed?: number;
  /** Make only the new rows trainable (a tf.Variable [k, d]); otherwise they join the frozen table. Default false. */
  readonly trainable?: boolean;
  /** Standard deviation of the new rows (default 0.02, HF `_get_resized_embeddings`). */
  readonly std?: number;
  /**
   * The name of the trainable rows in {@link TiedEmbedding.trainables} and of their seed stream (default
   * {@link ADDED_ROWS_PARAMETER}): a model with two tables (an untied head) names each its own.
   */
  readonly parameterName?: string;
}

/**
 * GPT-2's token table `wte`, used for the input embedding, for the token-type ("task") embedding and, tied, for the
 * LM head. The frozen rows are kept [V, d] (gather, and the head's backward dh = dlogits·wte); the head's forward h·wteᵀ
 * is a transposed product where the backend has @peft/core's `transposedMatMul` feature, else a plain one with a
 * [d, V] copy made on first use. Rows added by {@link addRows} with
 * `trainable` live in a small variable [k, d] reached through one-hot·matmul, so no gather gradient is ever needed.
 */
export class TiedEmbedding {
  private table: tf.Tensor2D; // [V_frozen, d]
  private tableT: tf.Tensor2D | null = null; // [d, V_frozen]
  private added: tf.Variable | null = null; // [k, d], ids V_frozen … V_frozen + k − 1
  private readonly trainableSet = new ParameterSet();

  constructor(table: tf.Tensor2D) {
    this.table = table;
  }

  get hiddenSize(): number {
    return this.table.shape[1];
  }
  /** Rows of the frozen table. */
  get frozenVocabSize(): number {
    return this.table.shape[0];
  }
  /** All rows: frozen, then trainable. */
  get vocabSize(): number {
    return this.frozenVocabSize + (this.added?.shape[0] ?? 0);
  }
  /** The trainable added rows [k, d], if any. */
  get addedRows(): tf.Variable | null {
    return this.added;
  }

  /** ids [...] int32 → [..., d]. */
  lookup(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const v0 = this.frozenVocabSize;
      const flat = tf.reshape(ids, [-1]); // [N]
      const clipped = tf.minimum(flat, tf.scalar(v0 - 1, 'int32'));
      let rows = tf.gather(this.table, clipped); // [N, d]
      if (this.added) {
        const k = this.added.shape[0];
        const isFrozen = tf.reshape(tf.cast(tf.less(flat, v0), 'float32'), [-1, 1]);
        const select = tf.cast(tf.equal(tf.reshape(flat, [-1, 1]), tf.reshape(tf.range(v0, v0 + k, 1, 'int32'), [1, k])), 'float32'); // [N, k]
        rows = tf.add(tf.mul(rows, isFrozen), tf.matMul(select, this.added));
      }
      return tf.reshape(rows, [...ids.shape, this.hiddenSize]);
    });
  }

  /** The frozen head weights [d, V_frozen], made on first use and kept. */
  headKernel(): tf.Tensor2D {
    if (!this.tableT) this.tableT = tf.keep(tf.transpose(this.table));
    return this.tableT;
  }

  /** Makes what {@link frozenLogits} needs on this backend (the [d, V] copy, if any) outside any gradient scope. */
  prepareHead(): void {
    if (!backendHasFeature(BackendFeatures.transposedMatMul)) this.headKernel();
  }

  /** h [N, d] → the frozen rows' logits [N, V_frozen] = h·wteᵀ. */
  frozenLogits(h: tf.Tensor2D): tf.Tensor2D {
    return backendHasFeature(BackendFeatures.transposedMatMul) ? tf.matMul(h, this.table, false, true) : tf.matMul(h, this.headKernel());
  }

  /** The frozen table [V_frozen, d] (not a copy). */
  frozenTable(): tf.Tensor2D {
    return this.table;
  }

  /**
   * The tied LM head: h [N, d] → logits [N, V]. Gradient with respect to h is dlogits·wte (no transposed matmul) and,
   * for trainable added rows, dA = dlogits[:, V_frozen:]ᵀ·h.
   */
  logits(h: tf.Tensor2D): tf.Tensor2D {
    this.prepareHead();
    const table = this.table;
    const v0 = this.frozenVocabSize;
    const added = this.added;
    return tf.tidy(() => {
      if (!added) {
        const f = customOp(([x]) => ({
          value: this.frozenLogits(x as tf.Tensor2D),
          gradFunc: (dy) => tf.matMul(dy as tf.Tensor2D, table),
        }));
        return f(h) as tf.Tensor2D;
      }
      const f = customOp(([x, a], save) => {
        save([x!, a!]);
        const frozen = this.frozenLogits(x as tf.Tensor2D); // [N, V0]
        const extra = tf.matMul(x as tf.Tensor2D, a as tf.Tensor2D, false, true); // [N, k]
        return {
          value: tf.concat([frozen, extra], 1),
          gradFunc: (dy, saved) => {
            const [xs, as] = saved as [tf.Tensor2D, tf.Tensor2D];
            const dyFrozen = tf.slice(dy, [0, 0], [-1, v0]) as tf.Tensor2D;
            const dyExtra = tf.slice(dy, [0, v0], [-1, -1]) as tf.Tensor2D;
            const dx = tf.add(tf.matMul(dyFrozen, table), tf.matMul(dyExtra, as));
            const da = tf.matMul(dyExtra, xs, true, false);
            return [dx, da];
          },
        };
      });
      return f(h, added) as tf.Tensor2D;
    });
  }

  /**
   * Appends `count` rows drawn from N(0, std²) (seeded: values depend on (seed, the row block's first id) only) and
   * returns their ids. Trainable rows stay separate; frozen ones join the table.
   */
  addRows(count: number, options: AddTokensOptions = {}): number[] {
    if (!Number.isInteger(count) || count <= 0) throw new ConfigError('count', `must be a positive integer, got ${count}`);
    if (this.added) {
      throw new ConfigError('addSpecialTokens', 'trainable rows were already added; add all special tokens in one call');
    }
    const first = this.vocabSize;
    const d = this.hiddenSize;
    const name = options.parameterName ?? ADDED_ROWS_PARAMETER;
    const values = normal(options.std ?? 0.02)([count, d], Rng.forParameter(options.seed ?? 0, `${name}.${first}`));
    const rows = tf.tensor2d(values, [count, d], 'float32');
    if (options.trainable) {
      this.added = tf.variable(rows, true, `${name}#${variableCounter++}`);
      rows.dispose();
      this.trainableSet.addVariable(name, this.added);
    } else {
      const next = tf.concat([this.table, rows], 0) as tf.Tensor2D;
      rows.dispose();
      this.table.dispose();
      this.table = next;
      this.tableT?.dispose();
      this.tableT = null;
    }
    return Array.from({ length: count }, (_, i) => first + i);
  }

  /** Replaces the trainable added rows' values (e.g. from a saved run). */
  setAddedRows(values: tf.Tensor2D): void {
    if (!this.added) throw new ConfigError('setAddedRows', 'there are no trainable added rows');
    if (values.shape[0] !== this.added.shape[0] || values.shape[1] !== this.added.shape[1]) {
      throw new ShapeError(ADDED_ROWS_PARAMETER, this.added.shape, values.shape);
    }
    this.added.assign(values);
  }

  /** The trainable added rows as a parameter set (empty when there are none). */
  trainables(): ParameterSet {
    return this.trainableSet;
  }

  dispose(): void {
    this.table.dispose();
    this.tableT?.dispose();
    this.tableT = null;
    this.added?.dispose();
    this.added = null;
  }
}
