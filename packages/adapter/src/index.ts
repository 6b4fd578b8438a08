import { registerMethodType } from '@peft/core';
import type { AdapterConfig } from './config.js';
import { adapter } from './method.js';

export { adapter, type AdapterMethod } from './method.js';
export {
  PLACEMENTS,
  ACTIVATIONS,
  resolveAdapterConfig,
  ADAPTER_SCHEMA,
  bottleneckSize,
  type AdapterConfig,
  type ResolvedAdapterConfig,
  type Placement,
  type Activation,
  type AdapterInit,
} from './config.js';
export { bottleneckForward, layerNorm, activate, type BottleneckWeights, type BottleneckOptions } from './bottleneck.js';
export { adapterParameterCount, bottleneckParameterShapes, placementStem } from './parameters.js';

registerMethodType('adapter', (config) => adapter(config as AdapterConfig));
