import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, MethodInstance, ModelSpec, ParameterSet, TunableModel } from '@peft/core';
import type { CausalLm, CausalLmForwardInput, CausalLmForwardOutput } from '../causal-lm.js';
import type { AddTokensOptions } from '../embedding/tied-embedding.js';

/** The most positions a model reads, and the config.json field that says so (for messages). */
export interface PositionLimit {
  /** Tokens one input may hold (RoBERTa: max_position_embeddings − 2, its positions start after the padding index). */
  readonly tokens: number;
  /** `n_positions`, `max_position_embeddings`. */
  readonly field: string;
}

/** What every model the recipes load has, whatever its task. */
export interface PeftModelBase extends TunableModel {
  /** The family, as config.json's `model_type` names it (`gpt2`, `roberta`, `llama`): for messages, never a switch. */
  readonly architecture: string;
  readonly spec: ModelSpec;
  readonly positionLimit: PositionLimit;
  /** The attached method instance, if any. */
  readonly method: MethodInstance | null;
  dispose(): void;
}

/** A forward of a causal LM as the recipes run it: {@link CausalLmForwardInput}, optionally rematerialising layers. */
export interface TunableCausalLmForwardInput extends CausalLmForwardInput {
  /** Layers rematerialised in the backward pass: all (true) or the first k; not with a cache. */
  readonly checkpointBlocks?: boolean | number;
}

/** A causal language model that a method tunes (the NLG tasks, decoding). */
export interface TunableCausalLm extends PeftModelBase, CausalLm {
  readonly kind: 'causal-lm';
  /** Whether `forward` takes token-type ids (GPT-2 embeds them through its token table); others are fed none. */
  readonly takesTokenTypeIds: boolean;
  forward(input: TunableCausalLmForwardInput): CausalLmForwardOutput;
  /** Appends `count` rows to the token table (and the tied head); returns their ids. */
  addSpecialTokens(count: number, options?: AddTokensOptions): number[];
  /** Trainable parameters of the model itself (added token rows), beside the method's. */
  extraTrainables(): ParameterSet;
}

export interface ClassifierForwardInput {
  /** [B, n] int32 token ids. */
  readonly inputIds: tf.Tensor2D;
  /** [B, n] 1 = attend, 0 = padding. */
  readonly attentionMask?: tf.Tensor2D;
  readonly ctx?: ForwardContext;
  readonly checkpointBlocks?: boolean | number;
}

/** A sequence classifier that a method tunes (the NLU tasks): an encoder and its (frozen or saved) task head. */
export interface TunableClassifier extends PeftModelBase {
  readonly kind: 'classifier';
  readonly numLabels: number;
  /** [B, n, d] the encoder's last hidden states. */
  forward(input: ClassifierForwardInput): { readonly hidden: tf.Tensor3D };
  /** hidden [B, n, d] → logits [B, numLabels]. */
  classify(hidden: tf.Tensor3D, ctx?: ForwardContext): tf.Tensor2D;
}

/** A model a checkpoint folder holds, as the recipes see it. */
export type PeftModel = TunableCausalLm | TunableClassifier;

export function isCausalLm(model: PeftModel): model is TunableCausalLm {
  return model.kind === 'causal-lm';
}

export function isClassifier(model: PeftModel): model is TunableClassifier {
  return model.kind === 'classifier';
}
