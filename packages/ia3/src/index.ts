import { registerMethodType } from '@peft/core';
import { ia3 } from './method.js';

export { ia3, type Ia3Method, type Ia3Instance } from './method.js';
export {
  IA3_TARGETS,
  IA3_DEFAULTS,
  resolveIa3Config,
  IA3_SCHEMA,
  type Ia3Config,
  type Ia3Options,
  type Ia3Target,
  type Ia3HuggingFaceFields,
} from './config.js';
export { ia3ParamName, ia3VectorSize, ia3ParameterCount } from './parameters.js';
export { importHuggingFaceIa3, type ImportHuggingFaceIa3Options, type ImportedIa3 } from './hf-import.js';

registerMethodType('ia3', (config) => ia3(config as object));
