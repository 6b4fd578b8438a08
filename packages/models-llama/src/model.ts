import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  EVAL_CONTEXT,
  ShapeError,
  type ForwardContext,
  type ModelSpec,
  ParameterSet,
} from '@peft/core';
import {
  EMPTY_LOAD_REPORT,
  LinearSiteTable,
  TiedEmbedding,
  TunableModelBase,
  additivePaddingMask,
  checkIds,
  silu,
  tidyObject,
  type AddTokensOptions,
  type CausalLmForwardInput,
  type CausalLmForwardOutput,
  type FrozenLinear,
  type KeyValueCache,
  type LoadReport,
  type RmsNorm,
  type PositionLimit,
  type TunableCausalLm,
  runLayer,
  runLayerStack,
  type LayerShape,
  type LayerWeights,
} from '@peft/models-base';
import { llamaParameterCount, type LlamaConfig } from './config.js';
import { llamaSpec } from './spec.js';
import { applyRotary, ropeInverseFrequencies, rotaryAngles, type RotaryAngles } from './rope.js';
import { slidingWindowMask } from './sliding-window.js';

/** The frozen weights of one decoder layer (HF `model.layers.{i}.*`), linears stored [in, out]. */
export interface LlamaLayerWeights {
  readonly inputNorm: RmsNorm; // input_layernorm
  readonly q: FrozenLinear; // self_attn.q_proj [d, H·p]
  readonly k: FrozenLinear; // self_attn.k_proj [d, H_kv·p]
  readonly v: FrozenLinear; // self_attn.v_proj [d, H_kv·p]
  readonly o: FrozenLinear; // self_attn.o_proj [H·p, d]
  readonly postNorm: RmsNorm; // post_attention_layernorm
  readonly gate: FrozenLinear; // mlp.gate_proj [d, d_ff]
  readonly up: FrozenLinear; // mlp.up_proj [d, d_ff]
  readonly down: FrozenLinear; // mlp.down_proj [d_ff, d]
}

/** The frozen weights of a Llama-family causal LM. */
export interface LlamaWeights {
  readonly embedTokens: tf.Tensor2D; // model.embed_tokens.weight [V, d]
  readonly layers: readonly LlamaLayerWeights[];
  readonly norm: RmsNorm; // model.norm
  /** lm_head.weight [V, d] when the head is not tied to the input embedding. */
  readonly lmHead?: tf.Tensor2D;
}

export interface LlamaForwardInput extends CausalLmForwardInput {
  /** Gradient checkpointing of the decoder layers (all, or the first k), as GPT-2's `checkpointBlocks`. */
  readonly checkpointBlocks?: boolean | number;
  /** Return the input of every layer and the last layer's output (before the final norm): L + 1 tensors. */
  readonly outputHiddenStates?: boolean;
}

export interface LlamaForwardOutput extends CausalLmForwardOutput {
  readonly hiddenStates?: tf.Tensor3D[];
}

/**
 * A Llama-family decoder (HF `LlamaForCausalLM` / `Qwen2ForCausalLM` / `MistralForCausalLM` numerics): pre-RMSNorm
 * layers, rotary positions on queries and keys (rotate_half convention), grouped-query attention, a SwiGLU FFN, an
 * optional sliding window, a tied or untied LM head. Frozen weights; the trainable parts are the attached method's.
 */
export class LlamaModel extends TunableModelBase implements TunableCausalLm {
  readonly kind = 'causal-lm' as const;
  /** Llama-family models embed no token types: the recipes feed them none. */
  readonly takesTokenTypeIds = false;
  /** The LM head's table [V, d]: the input embedding when tied, `lm_head.weight` otherwise. */
  readonly embedding: TiedEmbedding;
  /** The input embedding table (the same object as {@link embedding} when the head is tied). */
  readonly tokens: TiedEmbedding;
  private readonly invFreq: Float32Array;
  private readonly shape: LayerShape;
  private disposed = false;
  /** What loading found (unused tensors); empty for a model built from weights in memory. */
  loadReport: LoadReport = EMPTY_LOAD_REPORT;

  constructor(
    readonly config: LlamaConfig,
    private readonly weights: LlamaWeights,
  ) {
    const sites = weights.layers.map((l) => ({ 'attn.q': l.q, 'attn.k': l.k, 'attn.v': l.v, 'attn.o': l.o, 'ffn.gate': l.gate, 'ffn.in': l.up, 'ffn.out': l.down }));
    super(new LinearSiteTable(config.modelType, sites));
    if (config.tieWordEmbeddings && weights.lmHead) throw new ConfigError('lmHead', 'a tied model has no separate lm_head weight');
    if (!config.tieWordEmbeddings && !weights.lmHead) throw new ConfigError('lmHead', 'an untied model needs lm_head.weight');
    this.tokens = new TiedEmbedding(weights.embedTokens);
    this.embedding = weights.lmHead ? new TiedEmbedding(weights.lmHead) : this.tokens;
    this.invFreq = ropeInverseFrequencies(config.headDim, config.ropeTheta, config.ropeScaling);
    this.shape = {
      placement: 'pre-norm',
      numHeads: config.numHeads,
      numKeyValueHeads: config.numKeyValueHeads,
      headDim: config.headDim,
      causal: true,
      activation: silu,
      attentionDropout: config.attentionDropout,
      residualDropout: 0,
    };
  }

  /** The rotary inverse frequencies [p/2] (float32, as transformers computes them). */
  get inverseFrequencies(): Float32Array {
    return this.invFreq.slice();
  }

  get spec(): ModelSpec {
    return llamaSpec(this.config, this.vocabSize);
  }

  /** The family, as config.json's `model_type` names it (llama, qwen2, mistral). */
  get architecture(): string {
    return this.config.modelType;
  }

  /**
   * max_position_embeddings: the positions the checkpoint was trained for (rotary positions extrapolate beyond it,
   * unchecked, as in transformers; the recipes keep inputs within it).
   */
  get positionLimit(): PositionLimit {
    return { tokens: this.config.maxPositions, field: 'max_position_embeddings' };
  }

  /** Current vocabulary size of the head, added tokens included. */
  get vocabSize(): number {
    return this.embedding.vocabSize;
  }

  /** The HF parameter count of the loaded checkpoint (a tied head counted once; added token rows excluded). */
  baseParameterCount(): number {
    return llamaParameterCount(this.config);
  }

  /**
   * Grows the vocabulary by `count` rows drawn from N(0, std²) and returns their ids (the next ids after the
   * embedding's rows). With `trainable`, only those rows train: a tied model's one table (`wte.added_rows`, as GPT-2's),
   * an untied model's input rows (`embed_tokens.added_rows`) and head rows (`lm_head.added_rows`), each from its own
   * seed stream.
   */
  addSpecialTokens(count: number, options: AddTokensOptions = {}): number[] {
    if (this.embedding === this.tokens) return this.embedding.addRows(count, options);
    const ids = this.tokens.addRows(count, { ...options, parameterName: 'embed_tokens.added_rows' });
    this.embedding.addRows(count, { ...options, parameterName: 'lm_head.added_rows' });
    return ids;
  }

  /** Trainable parameters of the model itself: the trainable added token rows, if any (both tables when untied). */
  extraTrainables(): ParameterSet {
    if (this.embedding === this.tokens) return this.embedding.trainables();
    const set = new ParameterSet();
    for (const table of [this.tokens, this.embedding]) for (const [name, v] of table.trainables().entries()) set.addVariable(name, v);
    return set;
  }

  forward(input: LlamaForwardInput): LlamaForwardOutput {
    this.checkAlive();
    const c = this.config;
    const ctx: ForwardContext = input.ctx ?? EVAL_CONTEXT;
    const past = input.cache?.length ?? 0;
    const [b, n] = input.inputIds.shape;
    checkIds(input.inputIds, 'inputIds', this.tokens.vocabSize);
    if (input.tokenTypeIds) throw new ConfigError('tokenTypeIds', `a ${c.modelType} model has no token types`);
    const offset = this.method?.positionOffset ?? 0;
    if (input.positionIds) checkIds(input.positionIds, 'positionIds', Number.MAX_SAFE_INTEGER, [b, n]);
    if (input.attentionMask && (input.attentionMask.shape[0] !== b || input.attentionMask.shape[1] !== past + n)) {
      throw new ShapeError('attentionMask', [b, past + n], input.attentionMask.shape, 'the mask covers cached and new positions');
    }
    if (input.cache && input.cache.layers.length !== c.numLayers) {
      throw new ConfigError('cache', `has ${input.cache.layers.length} layers, the model ${c.numLayers}`);
    }
    const wantCache = input.useCache === true || input.cache !== undefined;
    if (input.checkpointBlocks && wantCache) throw new ConfigError('checkpointBlocks', 'cannot be combined with a key/value cache');
    const trainable = input.checkpointBlocks ? (this.method?.params.variables() ?? []) : [];
    return tidyObject((): LlamaForwardOutput => {
      const positions = (
        input.positionIds
          ? tf.add(input.positionIds, tf.scalar(offset, 'int32'))
          : tf.broadcastTo(tf.range(offset + past, offset + past + n, 1, 'int32'), [b, n])
      ) as tf.Tensor2D;
      const angles = rotaryAngles(positions, this.invFreq);
      let h = this.tokens.lookup(input.inputIds) as tf.Tensor3D;
      const padding = input.attentionMask ? additivePaddingMask(input.attentionMask) : undefined; // [B, 1, 1, m]
      const masks = new Map<number | null, tf.Tensor4D | undefined>();
      const maskOf = (window: number | null): tf.Tensor4D | undefined => {
        if (!masks.has(window)) {
          const w = window === null ? undefined : slidingWindowMask(n, past + n, window);
          masks.set(window, w ? (padding ? (tf.add(padding, w) as tf.Tensor4D) : w) : padding);
        }
        return masks.get(window);
      };
      const stack = runLayerStack(
        h,
        c.numLayers,
        (i) => (x, layerCtx, [cos, sin, mask]) => {
          const past_i = input.cache?.layers[i];
          const a: RotaryAngles = { cos: cos as tf.Tensor4D, sin: sin as tf.Tensor4D };
          return runLayer(this.layerWeights(i), this.shape, this.method?.hooks(i) ?? {}, x, {
            ctx: layerCtx,
            rotate: (queries, keys) => ({ queries: applyRotary(queries, a), keys: applyRotary(keys, a) }),
            ...(mask ? { mask: mask as tf.Tensor4D } : {}),
            ...(past_i ? { past: past_i } : {}),
          });
        },
        (i) => {
          const mask = maskOf(c.slidingWindows[i] ?? null);
          return [angles.cos, angles.sin, ...(mask ? [mask] : [])];
        },
        { ctx, ...(input.checkpointBlocks !== undefined ? { checkpointBlocks: input.checkpointBlocks } : {}), trainable, keepPresents: wantCache, ...(input.outputHiddenStates ? { outputHiddenStates: true } : {}) },
      );
      h = stack.h;
      const hidden = this.weights.norm.apply(h) as tf.Tensor3D;
      const result: { hidden: tf.Tensor3D; cache?: KeyValueCache; hiddenStates?: tf.Tensor3D[] } = { hidden };
      if (wantCache) result.cache = { length: past + n, layers: stack.presents };
      if (input.outputHiddenStates) result.hiddenStates = stack.states;
      return result;
    });
  }

  /** The LM head: hidden [B, n, d] (or [N, d]) → logits [B, n, V] (or [N, V]), added tokens included. */
  logits(hidden: tf.Tensor): tf.Tensor {
    this.checkAlive();
    const d = this.config.hiddenSize;
    if (hidden.shape[hidden.rank - 1] !== d) throw new ShapeError('hidden', [...hidden.shape.slice(0, -1), d], hidden.shape);
    this.embedding.prepareHead(); // made outside any gradient scope
    return tf.tidy(() => {
      const z = this.embedding.logits(tf.reshape(hidden, [-1, d]) as tf.Tensor2D);
      return tf.reshape(z, [...hidden.shape.slice(0, -1), this.vocabSize]);
    });
  }

  private layerWeights(i: number): LayerWeights {
    const l = this.weights.layers[i]!;
    return { attnNorm: l.inputNorm, qkv: { q: l.q, k: l.k, v: l.v }, o: l.o, ffnNorm: l.postNorm, ffn: { gate: l.gate, in: l.up, out: l.down } };
  }

  /** Frees every weight (and the added rows). The attached method is not disposed. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.tokens.dispose();
    if (this.embedding !== this.tokens) this.embedding.dispose();
    for (const l of this.weights.layers) {
      for (const part of [l.inputNorm, l.q, l.k, l.v, l.o, l.postNorm, l.gate, l.up, l.down]) part.dispose();
    }
    this.weights.norm.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new ConfigError('model', `this ${this.config.modelType} model was disposed`);
  }
}
