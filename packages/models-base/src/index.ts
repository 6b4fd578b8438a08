export * from './errors.js';
export type { LoadReport } from './load-report.js';
export { EMPTY_LOAD_REPORT } from './load-report.js';
export type { KeyValueCache, LayerCache } from './cache.js';
export { disposeCache } from './cache.js';
export type { CausalLm, CausalLmForwardInput, CausalLmForwardOutput } from './causal-lm.js';
export { FrozenLinear } from './nn/linear.js';
export { LayerNorm } from './nn/layer-norm.js';
export { RmsNorm } from './nn/rms-norm.js';
export { ACTIVATIONS, gatedProduct, geluTanh, geluErf, geluTanhValue, geluErfValue, silu, swiGlu } from './nn/activations.js';
export type { Activation } from './nn/activations.js';
export { additivePaddingMask, MASKED_ADDEND } from './nn/masks.js';
export { customOp, tidyObject } from './nn/tidy.js';
export type { GradFunc } from './nn/tidy.js';
export { checkpointed, checkpointsLayer } from './nn/checkpoint.js';
export { LinearSiteTable } from './sites/linear-site-table.js';
export type { ColumnBlock, LinearSiteSource, LayerLinearSites } from './sites/linear-site-table.js';
export { TunableModelBase } from './sites/tunable-model-base.js';
export {
  readCheckpointConfig,
  readCheckpointTensors,
  checkpointTensorsFromBytes,
  CheckpointTensors,
  CONFIG_FILE,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
} from './checkpoint/directory.js';
export type { CheckpointConfig } from './checkpoint/directory.js';
export * from './checkpoint/fields.js';
export { checkIds } from './checkpoint/ids.js';
export { TiedEmbedding, ADDED_ROWS_PARAMETER } from './embedding/tied-embedding.js';
export type { AddTokensOptions } from './embedding/tied-embedding.js';
export { lmLoss, lmLossChunkRows, lmLossChunks, IGNORE_INDEX } from './loss/lm-loss.js';
export type { LmLossOptions } from './loss/lm-loss.js';
export { classificationLoss } from './loss/classification.js';
export { generateGreedy, decodeTokens } from './decode/greedy.js';
export type { GreedyOptions, GreedyResult, TokenChooser } from './decode/greedy.js';
export { generateSampled, sampleTopP } from './decode/sample.js';
export type { SamplingOptions } from './decode/sample.js';
export { runLayer } from './layer/runner.js';
export { repeatKeyValueHeads } from '@peft/attention-kernel';
export { runLayerStack, type LayerStackOptions, type LayerStackResult, type StackLayer } from './layer/stack.js';
export type {
  Norm,
  QkvProjections,
  FfnWeights,
  LayerWeights,
  LayerShape,
  LayerRunOptions,
  LayerRunResult,
  RotateQueryKey,
} from './layer/runner.js';
export { isCausalLm, isClassifier } from './registry/model-kinds.js';
export type {
  PositionLimit,
  PeftModelBase,
  TunableCausalLm,
  TunableCausalLmForwardInput,
  TunableClassifier,
  ClassifierForwardInput,
  PeftModel,
} from './registry/model-kinds.js';
export { registerModelLoader, registeredModelTypes, describeModelFolder, loadModelFolder, loadTokenizerFolder } from './registry/model-registry.js';
export type { ModelTokenizer, ModelDescription, LoadModelOptions, ModelLoader } from './registry/model-registry.js';
