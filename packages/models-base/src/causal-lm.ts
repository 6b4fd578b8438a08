import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '@peft/core';
import type { KeyValueCache } from './cache.js';
import type { TiedEmbedding } from './embedding/tied-embedding.js';

/** What a causal language model's forward takes: the part that decoding and the LM loss rely on. */
export interface CausalLmForwardInput {
  /** [B, n] int32 token ids (the new tokens only when a cache is given). */
  readonly inputIds: tf.Tensor2D;
  /** [B, n] int32 token-type ids, for models that have them; others refuse them. */
  readonly tokenTypeIds?: tf.Tensor2D;
  /** [B, m] 1 = attend, 0 = padding, over all keys (cached and new). */
  readonly attentionMask?: tf.Tensor2D;
  /** [B, n] int32 position ids; default past + 0 … past + n − 1. */
  readonly positionIds?: tf.Tensor2D;
  readonly ctx?: ForwardContext;
  /** Keys/values of the earlier positions; not disposed by the forward. */
  readonly cache?: KeyValueCache;
  /** Return the keys/values of all positions. */
  readonly useCache?: boolean;
}

export interface CausalLmForwardOutput {
  /** [B, n, d] the final norm's output. */
  readonly hidden: tf.Tensor3D;
  readonly cache?: KeyValueCache;
}

/**
 * A causal language model as decoding and the LM loss see it: a forward to hidden states, an LM head over them, and
 * the head's table (tied to the input embedding or not) with any trainable added rows.
 */
export interface CausalLm {
  readonly vocabSize: number;
  /** The LM head's table [V, d] (GPT-2: the tied wte), with any added rows. */
  readonly embedding: TiedEmbedding;
  forward(input: CausalLmForwardInput): CausalLmForwardOutput;
  /** h [..., d] → logits [..., V]. */
  logits(h: tf.Tensor): tf.Tensor;
}
