import { registerMethodType } from '@peft/core';
import '@peft/adapter';
import '@peft/prefix';
import '@peft/inducer';
import '@peft/lora';
import { mixFromConfig } from './mix.js';

export { mix, mixFromConfig, MIX_SCHEMA, partNamespace, inferenceCountOf, type MixConfig, type MixMethod, type MixInstance } from './mix.js';
export { checkClaims, claimsConflict, claimLabel } from './claims.js';
export { composeLayerHooks, mergeSupports } from './compose-hooks.js';

registerMethodType('mix', (config) => mixFromConfig(config));
export {
  inducerLora,
  inducerNoLora,
  mamInducer,
  adapter108,
  lora54,
  prefixTuning,
  mamAdapter,
  nluInducerLora,
  nluMamInducer,
  nluInducerNoLora,
  heMamGlue,
  PRESETS,
  presetNames,
  getPreset,
  presetParameterCount,
  type Preset,
  type TaskFamily,
  type MamAdapterOptions,
} from './presets.js';
