export * from './errors.js';
export type { LoadReport } from './load-report.js';
export type { KeyValueCache, LayerCache } from './cache.js';
export { disposeCache } from './cache.js';
export { FrozenLinear } from './nn/linear.js';
export { LayerNorm } from './nn/layer-norm.js';
export { geluTanh, geluErf, geluTanhValue, geluErfValue } from './nn/activations.js';
export { additivePaddingMask, MASKED_ADDEND } from './nn/masks.js';
export {
  readCheckpointConfig,
  readCheckpointTensors,
  CheckpointTensors,
  CONFIG_FILE,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
} from './checkpoint/directory.js';
export type { CheckpointConfig } from './checkpoint/directory.js';
export { modelTypeOf } from './checkpoint/fields.js';
export {
  writeRandomGpt2Checkpoint,
  writeRandomRobertaCheckpoint,
  generateGpt2SmallShaped,
  generateGpt2MediumShaped,
  generateRobertaBaseShaped,
  HF_INIT_VALUES,
} from './checkpoint/random.js';
export type { RandomValues } from './checkpoint/random.js';
export { parseGpt2Config, gpt2ParameterCount, GPT2_SMALL_CONFIG, GPT2_MEDIUM_CONFIG } from './gpt2/config.js';
export type { Gpt2Config } from './gpt2/config.js';
export { Gpt2Model } from './gpt2/model.js';
export type { Gpt2Weights, Gpt2ForwardInput, Gpt2ForwardOutput } from './gpt2/model.js';
export type { Gpt2BlockWeights } from './gpt2/block.js';
export { TiedEmbedding, ADDED_ROWS_PARAMETER } from './gpt2/tied-embedding.js';
export type { AddTokensOptions } from './gpt2/tied-embedding.js';
export { loadGpt2, gpt2TensorShapes, gpt2WeightsFrom } from './gpt2/load.js';
export { parseRobertaConfig, robertaParameterCount, ROBERTA_BASE_CONFIG } from './roberta/config.js';
export type { RobertaConfig } from './roberta/config.js';
export { RobertaModel } from './roberta/model.js';
export type { RobertaWeights, RobertaForwardInput, RobertaForwardOutput } from './roberta/model.js';
export type { RobertaLayerWeights } from './roberta/layer.js';
export type { RobertaClassifierWeights } from './roberta/classifier.js';
export { robertaPositionIds } from './roberta/positions.js';
export { loadRoberta, robertaTensorShapes, robertaClassifierShapes, robertaWeightsFrom } from './roberta/load.js';
export type { LoadRobertaOptions } from './roberta/load.js';
export { loadModel } from './load.js';
export type { LoadedModel } from './load.js';
export { lmLoss, IGNORE_INDEX } from './loss/lm-loss.js';
export type { LmLossOptions } from './loss/lm-loss.js';
export { classificationLoss } from './loss/classification.js';
export { generateGreedy } from './decode/greedy.js';
export type { GreedyOptions, GreedyResult } from './decode/greedy.js';
export * from './tokenizer/index.js';
