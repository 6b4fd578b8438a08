import { registerMethodType } from '@peft/core';
import { dora } from './dora-method.js';

export { dora, magnitudeParamName, type DoraMethod, type DoraInstance } from './dora-method.js';
export { resolveDoraConfig, type DoraConfig, type DoraOptions } from './config.js';
export { doraOutput } from './forward.js';
export { columnNorms, detachedColumnNorms } from './weight-norm.js';
export { magnitudePlans, magnitudeKey, HF_MAGNITUDE_SUFFIX, type MagnitudePlan } from './hf-layout.js';
export { importHuggingFaceDora, type ImportHuggingFaceDoraOptions, type ImportedDora } from './hf-import.js';

registerMethodType('dora', (config) => dora(config as object));
