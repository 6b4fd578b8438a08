import { registerMethodType } from '@peft/core';
import { lora } from './lora-method.js';

export { lora, type LoraMethod, type LoraInstance } from './lora-method.js';
export {
  LORA_DEFAULTS,
  loraScaling,
  loraLayers,
  rankAt,
  alphaAt,
  scalingAt,
  resolveLoraConfig,
  LORA_SCHEMA,
  type LoraConfig,
  type LoraOptions,
  type LoraFlavour,
  type PerSite,
  type HuggingFaceFields,
} from './config.js';
export { loraDelta, deltaKernel, type LoraFactors } from './delta.js';
export { siteDims, loraParamName } from './sites.js';
export { hfModules, hfKey, hfLayerPrefix, parseHfKey, HF_KEY_PREFIX, type HfModule } from './hf-modules.js';
export { importHuggingFaceLora, type ImportHuggingFaceLoraOptions, type ImportedLora } from './hf-import.js';
export type { ImportedTaskHead } from './hf-files.js';
export { resolveHfPattern } from './hf-pattern.js';

registerMethodType('lora', (config) => lora(config as object));
