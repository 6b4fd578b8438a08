import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  EVAL_CONTEXT,
  ShapeError,
  type ForwardContext,
  type ModelSpec,
  type ParameterSet,
  type TunableModel,
} from '@peft/core';
import type { KeyValueCache } from '@peft/models-base';
import { checkIds } from '@peft/models-base';
import { ACTIVATIONS } from '@peft/models-base';
import { LinearSiteTable, TunableModelBase, type LayerLinearSites } from '@peft/models-base';
import type { LayerNorm } from '@peft/models-base';
import { additivePaddingMask } from '@peft/models-base';
import { tidyObject } from '@peft/models-base';
import { runLayerStack } from '@peft/models-base';
import { EMPTY_LOAD_REPORT, type LoadReport } from '@peft/models-base';
import { gpt2Block, type Gpt2BlockWeights } from './block.js';
import { gpt2Spec } from './spec.js';
import { gpt2ParameterCount, type Gpt2Config } from './config.js';
import { TiedEmbedding, type AddTokensOptions, type PositionLimit, type TunableCausalLm } from '@peft/models-base';

/** The frozen weights of a GPT-2 model, in this package's layout ([in, out] linears). */
export interface Gpt2Weights {
  readonly wte: tf.Tensor2D; // [V, d]
  readonly wpe: tf.Tensor2D; // [n_positions, d]
  readonly blocks: readonly Gpt2BlockWeights[];
  readonly lnF: LayerNorm;
}

export interface Gpt2ForwardInput {
  /** [B, n] int32 token ids (the new tokens only when a cache is given). */
  readonly inputIds: tf.Tensor2D;
  /** [B, n] int32 token-type ("task") ids, looked up in the same wte (spec §7.1); absent: no type embedding. */
  readonly tokenTypeIds?: tf.Tensor2D;
  /** [B, m] 1 = attend, 0 = padding, over ALL keys (cached and new), as in HF; absent: attend everywhere. */
  readonly attentionMask?: tf.Tensor2D;
  /**
   * [B, n] int32 position ids. Default: past + 0 … past + n − 1. The method's `positionOffset` (prefix-tuning) is
   * added to either.
   */
  readonly positionIds?: tf.Tensor2D;
  /** Dropout and training flag; default {@link EVAL_CONTEXT}. */
  readonly ctx?: ForwardContext;
  /** Keys/values of the earlier positions (from a previous call). Not disposed here. */
  readonly cache?: KeyValueCache;
  /** Return the keys/values of all positions (implied by `cache`). */
  readonly useCache?: boolean;
  /** Return the input of every block and the last block's output (before ln_f): L + 1 tensors. */
  readonly outputHiddenStates?: boolean;
  /**
   * Gradient checkpointing: keep only each block's input (and dropout masks) for the backward, which recomputes the
   * block. Same values and gradients, much less memory (needed to train GPT-2 small in the 4 GiB wasm heap). The
   * gradients reach the attached method's parameters; not with a cache. A number k checkpoints only the first k
   * blocks: rematerialise only as much as the heap needs (each checkpointed block runs its forward twice).
   */
  readonly checkpointBlocks?: boolean | number;
}

export interface Gpt2ForwardOutput {
  /** [B, n, d] ln_f of the last block's output. */
  readonly hidden: tf.Tensor3D;
  /** Keys/values of all past + n positions, when asked; owned by the caller. */
  readonly cache?: KeyValueCache;
  readonly hiddenStates?: tf.Tensor3D[];
}

/**
 * GPT-2 (HF `GPT2LMHeadModel` numerics): pre-LN blocks, gelu_new, tied LM head, token-type embeddings from wte,
 * dropout through `ctx.dropout`, causal masking by replacement with −1e4. Frozen weights; the trainable parts are
 * the attached method's and, optionally, added token rows ({@link addSpecialTokens}).
 */
export class Gpt2Model extends TunableModelBase implements TunableModel, TunableCausalLm {
  readonly architecture = 'gpt2' as const;
  readonly kind = 'causal-lm' as const;
  /** GPT-2 embeds token-type ids through its token table (the KA recipes' task tokens). */
  readonly takesTokenTypeIds = true;
  readonly embedding: TiedEmbedding;
  private readonly activation;
  private disposed = false;
  /** What loading found (unused tensors); empty for a model built from weights in memory. */
  loadReport: LoadReport = EMPTY_LOAD_REPORT;

  constructor(
    readonly config: Gpt2Config,
    private readonly weights: Gpt2Weights,
  ) {
    super(new LinearSiteTable('gpt2', weights.blocks.map((b) => gpt2LinearSites(b, config.nEmbd)), 'h'));
    this.embedding = new TiedEmbedding(weights.wte);
    const act = ACTIVATIONS[config.activation];
    if (!act) throw new ConfigError('activation_function', `'${config.activation}' is not supported`);
    this.activation = act;
  }

  get spec(): ModelSpec {
    return gpt2Spec(this.config, this.embedding.vocabSize);
  }

  get positionLimit(): PositionLimit {
    return { tokens: this.config.nPositions, field: 'n_positions' };
  }

  /** Current vocabulary size, added tokens included. */
  get vocabSize(): number {
    return this.embedding.vocabSize;
  }

  /** The HF count of the loaded checkpoint (added token rows excluded, as spec §5): 124,439,808 for gpt2. */
  baseParameterCount(): number {
    return gpt2ParameterCount(this.config);
  }

  /**
   * Grows the vocabulary by `count` rows drawn from N(0, 0.02) (spec §7.1: 16 task tokens, 50,257 → 50,273) and
   * returns their ids. With `trainable`, only those rows are trainable ({@link extraTrainables}).
   */
  addSpecialTokens(count: number, options: AddTokensOptions = {}): number[] {
    return this.embedding.addRows(count, options);
  }

  /** Trainable parameters of the model itself: the trainable added token rows, if any. */
  extraTrainables(): ParameterSet {
    return this.embedding.trainables();
  }

  forward(input: Gpt2ForwardInput): Gpt2ForwardOutput {
    this.checkAlive();
    const c = this.config;
    const ctx = input.ctx ?? EVAL_CONTEXT;
    const past = input.cache?.length ?? 0;
    const [b, n] = input.inputIds.shape;
    checkIds(input.inputIds, 'inputIds', this.vocabSize);
    if (input.tokenTypeIds) checkIds(input.tokenTypeIds, 'tokenTypeIds', this.vocabSize, [b, n]);
    const offset = this.method?.positionOffset ?? 0;
    if (input.positionIds) checkIds(input.positionIds, 'positionIds', c.nPositions - offset, [b, n]);
    else if (offset + past + n > c.nPositions) {
      throw new ConfigError('inputIds', `positions up to ${offset + past + n - 1} exceed n_positions ${c.nPositions}`);
    }
    if (input.attentionMask && (input.attentionMask.shape[0] !== b || input.attentionMask.shape[1] !== past + n)) {
      throw new ShapeError('attentionMask', [b, past + n], input.attentionMask.shape, 'the mask covers cached and new positions');
    }
    if (input.cache && input.cache.layers.length !== c.nLayer) {
      throw new ConfigError('cache', `has ${input.cache.layers.length} layers, the model ${c.nLayer}`);
    }
    const wantCache = input.useCache === true || input.cache !== undefined;
    if (input.checkpointBlocks && wantCache) throw new ConfigError('checkpointBlocks', 'cannot be combined with a key/value cache');
    const trainable = input.checkpointBlocks ? (this.method?.params.variables() ?? []) : [];
    return tidyObject((): Gpt2ForwardOutput => {
      const positions = input.positionIds
        ? tf.add(input.positionIds, tf.scalar(offset, 'int32'))
        : tf.broadcastTo(tf.range(offset + past, offset + past + n, 1, 'int32'), [b, n]); // [B, n]
      let h = tf.add(this.embedding.lookup(input.inputIds), tf.gather(this.weights.wpe, positions)) as tf.Tensor3D;
      if (input.tokenTypeIds) h = tf.add(h, this.embedding.lookup(input.tokenTypeIds));
      h = ctx.dropout(h, c.embdPdrop);
      const mask = input.attentionMask ? additivePaddingMask(input.attentionMask) : undefined; // [B, 1, 1, m]
      const stack = runLayerStack(
        h,
        c.nLayer,
        (i) => (x, blockCtx, [m]) => {
          const past_i = input.cache?.layers[i];
          return gpt2Block(this.weights.blocks[i]!, this.method?.hooks(i) ?? {}, x, {
            numHeads: c.nHead,
            activation: this.activation,
            attnPdrop: c.attnPdrop,
            residPdrop: c.residPdrop,
            ctx: blockCtx,
            ...(m ? { mask: m as tf.Tensor4D } : {}),
            ...(past_i ? { past: past_i } : {}),
          });
        },
        () => (mask ? [mask] : []),
        { ctx, ...(input.checkpointBlocks !== undefined ? { checkpointBlocks: input.checkpointBlocks } : {}), trainable, keepPresents: wantCache, ...(input.outputHiddenStates ? { outputHiddenStates: true } : {}) },
      );
      h = stack.h;
      const hidden = this.weights.lnF.apply(h) as tf.Tensor3D;
      const result: { hidden: tf.Tensor3D; cache?: KeyValueCache; hiddenStates?: tf.Tensor3D[] } = { hidden };
      if (wantCache) result.cache = { length: past + n, layers: stack.presents };
      if (input.outputHiddenStates) result.hiddenStates = stack.states;
      return result;
    });
  }

  /** The tied LM head: hidden [B, n, d] (or [N, d]) → logits [B, n, V] (or [N, V]), added tokens included. */
  logits(hidden: tf.Tensor): tf.Tensor {
    this.checkAlive();
    const d = this.config.nEmbd;
    if (hidden.shape[hidden.rank - 1] !== d) throw new ShapeError('hidden', [...hidden.shape.slice(0, -1), d], hidden.shape);
    this.embedding.prepareHead(); // made outside any gradient scope
    return tf.tidy(() => {
      const z = this.embedding.logits(tf.reshape(hidden, [-1, d]) as tf.Tensor2D);
      return tf.reshape(z, [...hidden.shape.slice(0, -1), this.vocabSize]);
    });
  }

  /** Frees every weight (and the added rows). The attached method is not disposed. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.embedding.dispose();
    this.weights.wpe.dispose();
    for (const blk of this.weights.blocks) {
      blk.ln1.dispose();
      blk.cAttn.dispose();
      blk.cProj.dispose();
      blk.ln2.dispose();
      blk.cFc.dispose();
      blk.mlpProj.dispose();
    }
    this.weights.lnF.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new ConfigError('model', 'this GPT-2 model was disposed');
  }
}

/** A block's linear sites: q, k and v are column blocks of the fused c_attn [d, 3d]. */
function gpt2LinearSites(b: Gpt2BlockWeights, d: number): LayerLinearSites {
  const qkv = (i: number) => ({ linear: b.cAttn, columns: { start: i * d, size: d } });
  return { 'attn.q': qkv(0), 'attn.k': qkv(1), 'attn.v': qkv(2), 'attn.o': b.cProj, 'ffn.in': b.cFc, 'ffn.out': b.mlpProj };
}
