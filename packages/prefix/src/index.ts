import { registerMethodType } from '@peft/core';
import type { PrefixConfig } from './config.js';
import { prefix } from './method.js';

export { prefix, type PrefixMethod, type PrefixInstance } from './method.js';
export {
  resolvePrefixConfig,
  shiftsPositions,
  prefixWidth,
  prefixInferenceCount,
  prefixTrainingCount,
  type PrefixConfig,
  type ResolvedPrefixConfig,
  type PrefixInit,
} from './config.js';
export {
  reparameterizedLayerPrefix,
  reparameterizationShapes,
  splitKeysValues,
  type LayerPrefix,
  type ReparameterizationWeights,
} from './prefixes.js';

export { importHuggingFacePrefix, type ImportedPrefix } from './hf-import.js';
export { HF_PREFIX_TENSOR, prefixesToHfEmbeddings, hfEmbeddingsToPrefixes, huggingFacePrefixFields } from './hf-layout.js';

registerMethodType('prefix', (config) => prefix(config as PrefixConfig));
