// The shared building blocks live in @peft/models-base; re-exported here so that this package's API is unchanged.
export {
  MissingCheckpointFileError,
  ArchitectureMismatchError,
  TensorDtypeError,
  UnusedLayerTensorsError,
  disposeCache,
  FrozenLinear,
  LayerNorm,
  geluTanh,
  geluErf,
  geluTanhValue,
  geluErfValue,
  additivePaddingMask,
  MASKED_ADDEND,
  readCheckpointConfig,
  readCheckpointTensors,
  checkpointTensorsFromBytes,
  CheckpointTensors,
  CONFIG_FILE,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  modelTypeOf,
  TiedEmbedding,
  ADDED_ROWS_PARAMETER,
  lmLoss,
  IGNORE_INDEX,
  classificationLoss,
  generateGreedy,
} from '@peft/models-base';
export type {
  LoadReport,
  KeyValueCache,
  LayerCache,
  CheckpointConfig,
  AddTokensOptions,
  LmLossOptions,
  GreedyOptions,
  GreedyResult,
} from '@peft/models-base';
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
export { gpt2Spec, GPT2_HF_FACTS } from './gpt2/spec.js';
export type { Gpt2Weights, Gpt2ForwardInput, Gpt2ForwardOutput } from './gpt2/model.js';
export type { Gpt2BlockWeights } from './gpt2/block.js';
export { loadGpt2, gpt2TensorShapes, gpt2WeightsFrom } from './gpt2/load.js';
export { parseRobertaConfig, robertaParameterCount, ROBERTA_BASE_CONFIG } from './roberta/config.js';
export type { RobertaConfig } from './roberta/config.js';
export { RobertaModel } from './roberta/model.js';
export { robertaSpec, ROBERTA_HF_FACTS } from './roberta/spec.js';
export type { RobertaWeights, RobertaForwardInput, RobertaForwardOutput } from './roberta/model.js';
export type { RobertaLayerWeights } from './roberta/layer.js';
export type { RobertaClassifierWeights } from './roberta/classifier.js';
export { robertaPositionIds } from './roberta/positions.js';
export { loadRoberta, robertaTensorShapes, robertaClassifierShapes, robertaWeightsFrom } from './roberta/load.js';
export type { LoadRobertaOptions } from './roberta/load.js';
export { loadModel } from './load.js';
// registers GPT-2 and RoBERTa folders with @peft/models-base's loadModelFolder (a side effect of importing this package)
export { GPT2_LOADER, ROBERTA_LOADER } from './register.js';
export type { LoadedModel } from './load.js';
export * from './tokenizer/index.js';
