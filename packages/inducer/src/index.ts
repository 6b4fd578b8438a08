import { registerMethodType } from '@peft/core';
import { inducer } from './inducer-method.js';

export { inducer, type InducerMethod } from './inducer-method.js';
export { INDUCER_DEFAULTS, INDUCER_SCHEMA, resolveInducerConfig, lambdaIgnoresPaddingMask, type InducerConfig, type InducerOptions } from './config.js';
export { inducerParameterCount, layerShapes, keyParamName, valueParamName, INDUCER_INIT_STD } from './parameters.js';
export { headwiseHidden, headwiseMlp, extendedValue } from './mlp.js';
export { inducerKeys, inducerSupports } from './supports.js';

registerMethodType('inducer', (config) => inducer(config as object));
