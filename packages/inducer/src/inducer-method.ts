import {
  ConfigError,
  defaultClaim,
  validateModelSpec,
  type InitOptions,
  type LayerHooks,
  type MethodInstance,
  type ModelSpec,
  type PeftMethod,
} from '@peft/core';
import { lambdaIgnoresPaddingMask, resolveInducerConfig, type InducerConfig, type InducerOptions } from './config.js';
import { createInducerParameters } from './parameters.js';
import { inducerSupports } from './supports.js';

export interface InducerMethod extends PeftMethod<InducerConfig> {
  readonly type: 'inducer';
}

/**
 * Inducer-tuning (Chen, Hazarika et al., EMNLP 2022): each query gets its own support in the attention kernel
 * estimator, a key P_k = Q + MLP_k(Q) with weight λ from the same normalisation as the real keys, and a value that
 * adds λ·MLP_v(Q) to the ordinary attention output (paper eq. 8). The numerics follow the authors' code (spec §1–§3).
 */
export function inducer(options: InducerOptions = {}): InducerMethod {
  const config = resolveInducerConfig(options);
  const method: InducerMethod = {
    type: 'inducer',
    config,
    claims: [defaultClaim('attn.supports', 'per-query')],
    describe: () => describeInducer(config),
    init(spec: ModelSpec, initOptions: InitOptions = {}): MethodInstance {
      validateModelSpec(spec);
      const params = createInducerParameters(config, spec, initOptions.seed ?? 0);
      const ignorePadding = lambdaIgnoresPaddingMask(config, spec);
      return {
        method,
        spec,
        params,
        hooks(layer: number): LayerHooks {
          if (!Number.isInteger(layer) || layer < 0 || layer >= spec.numLayers) {
            throw new ConfigError('layer', `must be an integer in [0, ${spec.numLayers}), got ${layer}`);
          }
          return { supports: (input) => inducerSupports(input, config, spec, params, layer, ignorePadding) };
        },
        dispose: () => params.dispose(),
      };
    },
  };
  return method;
}

function describeInducer(c: InducerConfig): string {
  const key = c.keyRank >= 2 ? `r_k=${c.keyRank}` : c.keyRank === 1 ? 'P_k=Q' : 'adaptive P_k=√i·Q';
  const flags = [
    c.valueExtension ? (c.headShare ? 'extension, shared W2' : 'extension') : 'per-head MLP_v',
    ...(c.gating ? ['gating'] : []),
  ];
  return `inducer ${key} r_v=${c.valueRank} (${flags.join(', ')})`;
}
