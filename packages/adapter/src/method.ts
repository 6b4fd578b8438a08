import type * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  ParameterSet,
  defaultClaim,
  validateModelSpec,
  type ForwardContext,
  type InitOptions,
  type LayerHooks,
  type MethodInstance,
  type ModelSpec,
  type PeftMethod,
  type SiteClaim,
} from '@peft/core';
import { bottleneckForward, type BottleneckOptions, type BottleneckWeights } from './bottleneck.js';
import { bottleneckSize, isParallel, resolveAdapterConfig, type AdapterConfig, type Placement, type ResolvedAdapterConfig } from './config.js';
import { adapterParameterCount, createBottleneck, placementStem } from './parameters.js';

/** The site each placement hooks into. */
const SITE_OF = { 'attn-output': 'attn.output', 'ffn-output': 'ffn.output', 'ffn-parallel': 'ffn.parallel' } as const;

export interface AdapterMethod extends PeftMethod<ResolvedAdapterConfig> {
  readonly type: 'adapter';
  /** Trainable parameters for `spec`, from shapes alone. */
  parameterCount(spec: ModelSpec): number;
}

/**
 * Bottleneck adapters (spec §4.2): one per layer at each placement. Sequential placements (`attn-output`,
 * `ffn-output`) return x + s·adapter(x) and claim their site exclusively; `ffn-parallel` returns only s·adapter(x),
 * which the model adds to the FFN output, and shares its site.
 */
export function adapter(config: AdapterConfig): AdapterMethod {
  const resolved = resolveAdapterConfig(config);
  const claims: SiteClaim[] = resolved.placement.map((p) => defaultClaim(SITE_OF[p]));
  const method: AdapterMethod = {
    type: 'adapter',
    config: resolved,
    claims,
    describe: () => describeAdapter(resolved),
    parameterCount: (spec) => adapterParameterCount(resolved, validateModelSpec(spec)),
    init: (spec, options) => initAdapter(method, resolved, spec, options),
  };
  return method;
}

function describeAdapter(c: ResolvedAdapterConfig): string {
  const b = c.bottleneck !== undefined ? `b=${c.bottleneck}` : `b=d//${c.reductionFactor}`;
  const extras = [
    c.activation,
    c.layerNormBefore ? 'LN before' : '',
    c.layerNormAfter ? 'LN after' : '',
    c.scale !== 1 ? `scale ${c.scale}` : '',
    c.dropout ? `dropout ${c.dropout}` : '',
    `${c.init} init`,
  ].filter(Boolean);
  return `adapter(${c.placement.join('+')}, ${b}, ${extras.join(', ')})`;
}

function initAdapter(method: AdapterMethod, c: ResolvedAdapterConfig, spec: ModelSpec, options: InitOptions = {}): MethodInstance {
  validateModelSpec(spec);
  bottleneckSize(c, spec); // fails early on a factor that leaves no bottleneck
  const seed = options.seed ?? 0;
  const params = new ParameterSet();
  // weights[layer][placement]
  const weights: Partial<Record<Placement, BottleneckWeights>>[] = [];
  try {
    for (let layer = 0; layer < spec.numLayers; layer++) {
      const row: Partial<Record<Placement, BottleneckWeights>> = {};
      for (const p of c.placement) row[p] = createBottleneck(params, `layers.${layer}.${placementStem(p)}`, c, spec, seed);
      weights.push(row);
    }
  } catch (e) {
    params.dispose();
    throw e;
  }
  const sequential: BottleneckOptions = { activation: c.activation, dropout: c.dropout, layerNormEps: c.layerNormEps, residual: c.residual };
  const parallel: BottleneckOptions = { ...sequential, residual: false };
  const run = (w: BottleneckWeights | undefined, o: BottleneckOptions) =>
    w ? (x: tf.Tensor, ctx: ForwardContext) => bottleneckForward(x, w, o, ctx) : undefined;

  return {
    method,
    spec,
    params,
    hooks(layer: number): LayerHooks {
      const w = weights[layer];
      if (!Number.isInteger(layer) || !w) throw new ConfigError('layer', `must be an integer in [0, ${spec.numLayers}), got ${layer}`);
      const hooks: { attnOutput?: LayerHooks['attnOutput']; ffnOutput?: LayerHooks['ffnOutput']; ffnParallel?: LayerHooks['ffnParallel'] } = {};
      for (const p of c.placement) {
        const fn = run(w[p], isParallel(p) ? parallel : sequential)!;
        if (p === 'attn-output') hooks.attnOutput = fn;
        else if (p === 'ffn-output') hooks.ffnOutput = fn;
        else hooks.ffnParallel = fn;
      }
      return hooks;
    },
    dispose: () => params.dispose(),
  };
}
