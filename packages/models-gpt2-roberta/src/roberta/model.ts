import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  EVAL_CONTEXT,
  ShapeError,
  type ForwardContext,
  type ModelSpec,
  type TaskHead,
  type TunableModel,
} from '@peft/core';
import { checkIds, type PositionLimit, type TunableClassifier } from '@peft/models-base';
import { EMPTY_LOAD_REPORT, type LoadReport } from '@peft/models-base';
import { ACTIVATIONS } from '@peft/models-base';
import { LinearSiteTable, TunableModelBase } from '@peft/models-base';
import type { LayerNorm } from '@peft/models-base';
import { additivePaddingMask } from '@peft/models-base';
import { tidyObject } from '@peft/models-base';
import { runLayerStack } from '@peft/models-base';
import { classifyFirstToken, type RobertaClassifierWeights } from './classifier.js';
import { robertaParameterCount, type RobertaConfig } from './config.js';
import { robertaLayer, type RobertaLayerWeights } from './layer.js';
import { robertaSpec } from './spec.js';
import { checkDerivedPositions, robertaPositionIds } from './positions.js';
import { robertaTaskHead } from './task-head.js';

/** The frozen weights of a RoBERTa encoder with its classification head. */
export interface RobertaWeights {
  readonly wordEmbeddings: tf.Tensor2D; // [V, d]
  readonly positionEmbeddings: tf.Tensor2D; // [max_position_embeddings, d]
  readonly tokenTypeEmbeddings: tf.Tensor2D; // [type_vocab_size, d]
  readonly embeddingsLn: LayerNorm;
  readonly layers: readonly RobertaLayerWeights[];
  /** Replaced when an adapter brings its own head (see {@link RobertaModel.taskHead}). */
  classifier: RobertaClassifierWeights;
}

export interface RobertaForwardInput {
  /** [B, n] int32 token ids. */
  readonly inputIds: tf.Tensor2D;
  /** [B, n] 1 = attend, 0 = padding; absent: attend everywhere (as HF). */
  readonly attentionMask?: tf.Tensor2D;
  /** [B, n] int32 token types (default 0). */
  readonly tokenTypeIds?: tf.Tensor2D;
  /** [B, n] int32 position ids; default from the padding index (HF `create_position_ids_from_input_ids`). */
  readonly positionIds?: tf.Tensor2D;
  readonly ctx?: ForwardContext;
  /** Return the input of every layer and the last layer's output: L + 1 tensors. */
  readonly outputHiddenStates?: boolean;
  /** Gradient checkpointing per layer, all (true) or the first k (see Gpt2ForwardInput.checkpointBlocks). */
  readonly checkpointBlocks?: boolean | number;
}

export interface RobertaForwardOutput {
  /** [B, n, d] the last layer's output. */
  readonly hidden: tf.Tensor3D;
  readonly hiddenStates?: tf.Tensor3D[];
}

/**
 * RoBERTa (HF `RobertaForSequenceClassification` numerics): post-LN layers, exact GELU, position ids from the
 * padding index, additive padding mask, and the frozen `<s>` classification head.
 */
export class RobertaModel extends TunableModelBase implements TunableModel, TunableClassifier {
  readonly architecture = 'roberta' as const;
  readonly kind = 'classifier' as const;
  private readonly activation;
  private disposed = false;
  /** What loading found: unused tensors, and the head's tensors when it was initialised rather than loaded. */
  loadReport: LoadReport = EMPTY_LOAD_REPORT;

  constructor(
    readonly config: RobertaConfig,
    private readonly weights: RobertaWeights,
  ) {
    const sites = weights.layers.map((l) => ({
      'attn.q': l.query,
      'attn.k': l.key,
      'attn.v': l.value,
      'attn.o': l.attnOut,
      'ffn.in': l.intermediate,
      'ffn.out': l.output,
    }));
    super(new LinearSiteTable('roberta', sites));
    const act = ACTIVATIONS[config.activation];
    if (!act) throw new ConfigError('hidden_act', `'${config.activation}' is not supported`);
    this.taskHead = robertaTaskHead(
      config.hiddenSize,
      () => weights.classifier,
      (next) => {
        this.checkAlive();
        weights.classifier = next;
      },
    );
    this.activation = act;
  }

  /** Tokens one input may hold: max_position_embeddings − 2 (positions start after the padding index). */
  get positionLimit(): PositionLimit {
    return { tokens: this.config.maxPositions - 2, field: 'max_position_embeddings' };
  }

  get spec(): ModelSpec {
    return robertaSpec(this.config);
  }

  /**
   * The classification head as Hugging Face PEFT's `modules_to_save` (`classifier`): saved with every adapter, and
   * replaced by the head an adapter brings.
   */
  readonly taskHead: TaskHead;

  get numLabels(): number {
    return this.weights.classifier.outProj.outSize;
  }

  /** HF count without pooler and head: 124,055,040 for roberta-base (spec §5). */
  baseParameterCount(): number {
    return robertaParameterCount(this.config);
  }

  forward(input: RobertaForwardInput): RobertaForwardOutput {
    this.checkAlive();
    const c = this.config;
    const ctx = input.ctx ?? EVAL_CONTEXT;
    const [b, n] = input.inputIds.shape;
    const ids = checkIds(input.inputIds, 'inputIds', c.vocabSize);
    if (input.tokenTypeIds) checkIds(input.tokenTypeIds, 'tokenTypeIds', c.typeVocabSize, [b, n]);
    if (input.positionIds) checkIds(input.positionIds, 'positionIds', c.maxPositions, [b, n]);
    if (input.attentionMask && (input.attentionMask.shape[0] !== b || input.attentionMask.shape[1] !== n)) {
      throw new ShapeError('attentionMask', [b, n], input.attentionMask.shape);
    }
    return tidyObject((): RobertaForwardOutput => {
      const positions = input.positionIds ?? robertaPositionIds(input.inputIds, c.padTokenId); // [B, n]
      if (!input.positionIds && ids) checkDerivedPositions(ids, n, c.padTokenId, c.maxPositions);
      const types = input.tokenTypeIds ?? tf.zeros([b, n], 'int32');
      const w = this.weights;
      const summed = tf.addN([
        tf.gather(w.wordEmbeddings, input.inputIds),
        tf.gather(w.positionEmbeddings, positions),
        tf.gather(w.tokenTypeEmbeddings, types),
      ]); // [B, n, d]
      const h = ctx.dropout(w.embeddingsLn.apply(summed), c.hiddenDropout) as tf.Tensor3D;
      const mask = input.attentionMask ? additivePaddingMask(input.attentionMask) : undefined; // [B, 1, 1, n]
      const stack = runLayerStack(
        h,
        c.numLayers,
        (i) => (x, layerCtx, [m]) => ({
          h: robertaLayer(w.layers[i]!, this.method?.hooks(i) ?? {}, x, {
            numHeads: c.numHeads,
            activation: this.activation,
            attentionDropout: c.attentionDropout,
            hiddenDropout: c.hiddenDropout,
            ctx: layerCtx,
            ...(m ? { mask: m as tf.Tensor4D } : {}),
          }),
        }),
        () => (mask ? [mask] : []),
        { ctx, ...(input.checkpointBlocks !== undefined ? { checkpointBlocks: input.checkpointBlocks } : {}), trainable: this.method?.params.variables() ?? [], keepPresents: false, ...(input.outputHiddenStates ? { outputHiddenStates: true } : {}) },
      );
      return input.outputHiddenStates ? { hidden: stack.h, hiddenStates: stack.states } : { hidden: stack.h };
    });
  }

  /** The frozen classification head on the `<s>` position: hidden [B, n, d] → logits [B, C]. */
  classify(hidden: tf.Tensor3D, ctx: ForwardContext = EVAL_CONTEXT): tf.Tensor2D {
    this.checkAlive();
    return classifyFirstToken(this.weights.classifier, hidden, this.config.classifierDropout, ctx);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const w = this.weights;
    tf.dispose([w.wordEmbeddings, w.positionEmbeddings, w.tokenTypeEmbeddings]);
    w.embeddingsLn.dispose();
    for (const l of w.layers) {
      for (const part of [l.query, l.key, l.value, l.attnOut, l.attnLn, l.intermediate, l.output, l.outLn]) part.dispose();
    }
    w.classifier.dense.dispose();
    w.classifier.outProj.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new ConfigError('model', 'this RoBERTa model was disposed');
  }
}
