import { ConfigError } from '@peft/core';
import { CONFIG_LIMITS, ConfigFields } from '@peft/models-base';

/** The RoBERTa hyper-parameters this package uses, read from a Hugging Face config.json. */
export interface RobertaConfig {
  readonly vocabSize: number; // vocab_size (50265)
  readonly hiddenSize: number; // hidden_size (768)
  readonly numLayers: number; // num_hidden_layers (12)
  readonly numHeads: number; // num_attention_heads (12)
  readonly intermediateSize: number; // intermediate_size (3072)
  readonly maxPositions: number; // max_position_embeddings (514)
  readonly typeVocabSize: number; // type_vocab_size (1)
  readonly padTokenId: number; // pad_token_id (1), also the padding index of the position embeddings
  readonly layerNormEps: number; // layer_norm_eps (1e-5)
  readonly hiddenDropout: number; // hidden_dropout_prob (0.1)
  readonly attentionDropout: number; // attention_probs_dropout_prob (0.1)
  readonly classifierDropout: number; // classifier_dropout, else hidden_dropout_prob
  readonly numLabels: number; // num_labels / size of id2label (HF default 2)
  readonly activation: string; // hidden_act ('gelu')
}

export function parseRobertaConfig(json: Record<string, unknown>, path = 'config.json'): RobertaConfig {
  const f = new ConfigFields(json, path);
  const hiddenSize = f.positiveInt(['hidden_size'], CONFIG_LIMITS.width);
  const numHeads = f.positiveInt(['num_attention_heads'], CONFIG_LIMITS.heads);
  if (hiddenSize % numHeads !== 0) {
    throw new ConfigError(`${path}: num_attention_heads`, `hidden_size ${hiddenSize} is not divisible by ${numHeads}`, { kind: 'data' });
  }
  const activation = f.string('hidden_act', 'gelu');
  if (!['gelu', 'gelu_new', 'gelu_pytorch_tanh'].includes(activation)) {
    throw new ConfigError(`${path}: hidden_act`, `'${activation}' is not supported (use gelu)`, { kind: 'data' });
  }
  const positionType = f.string('position_embedding_type', 'absolute');
  if (positionType !== 'absolute') {
    throw new ConfigError(`${path}: position_embedding_type`, `'${positionType}' is not supported (only 'absolute')`, { kind: 'data' });
  }
  const hiddenDropout = f.number('hidden_dropout_prob', 0.1, 0, 0.999);
  return {
    vocabSize: f.positiveInt(['vocab_size'], CONFIG_LIMITS.vocab),
    hiddenSize,
    numLayers: f.positiveInt(['num_hidden_layers'], CONFIG_LIMITS.layers),
    numHeads,
    intermediateSize: f.positiveInt(['intermediate_size'], CONFIG_LIMITS.inner, 4 * hiddenSize),
    maxPositions: f.positiveInt(['max_position_embeddings'], CONFIG_LIMITS.positions),
    typeVocabSize: f.positiveInt(['type_vocab_size'], CONFIG_LIMITS.typeVocab, 1),
    padTokenId: f.int('pad_token_id', 1),
    layerNormEps: f.number('layer_norm_eps', 1e-5, 0),
    hiddenDropout,
    attentionDropout: f.number('attention_probs_dropout_prob', 0.1, 0, 0.999),
    classifierDropout: f.number('classifier_dropout', hiddenDropout, 0, 0.999),
    numLabels: f.numLabels(2),
    activation,
  };
}

/**
 * The Hugging Face count of RobertaModel without its pooler (what RobertaForSequenceClassification loads, head not
 * counted): 124,055,040 for roberta-base.
 */
export function robertaParameterCount(
  c: Pick<RobertaConfig, 'vocabSize' | 'hiddenSize' | 'numLayers' | 'intermediateSize' | 'maxPositions' | 'typeVocabSize'>,
): number {
  const d = c.hiddenSize;
  const i = c.intermediateSize;
  const layer = 4 * (d * d + d) + 2 * d + (d * i + i) + (i * d + d) + 2 * d;
  return (c.vocabSize + c.maxPositions + c.typeVocabSize) * d + 2 * d + c.numLayers * layer;
}

/** config.json of roberta-base (the fields this package reads). */
export const ROBERTA_BASE_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  model_type: 'roberta',
  architectures: ['RobertaForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  bos_token_id: 0,
  eos_token_id: 2,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 514,
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 1,
  type_vocab_size: 1,
  vocab_size: 50265,
});
