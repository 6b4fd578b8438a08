import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniform, normal, ones, zeros, type Initializer, type ModelSpec, type ParameterSet } from '@peft/core';
import type { BottleneckWeights } from './bottleneck.js';
import { bottleneckSize, type Placement, type ResolvedAdapterConfig } from './config.js';

/** The name stem of a placement's parameters: `layers.{ℓ}.{stem}.down.weight` … */
export function placementStem(p: Placement): string {
  return p.replace('-', '_');
}

/** The parameters of one adapter, by name relative to its stem, with shapes and initialisers. */
export function bottleneckParameterShapes(
  config: ResolvedAdapterConfig,
  spec: Pick<ModelSpec, 'hiddenSize'>,
): { name: string; shape: number[]; init: Initializer }[] {
  const d = spec.hiddenSize;
  const b = bottleneckSize(config, spec);
  const bert = config.init === 'bert';
  const rows = [
    { name: 'down.weight', shape: [d, b], init: bert ? normal(0.02) : kaimingUniform(d) },
    { name: 'down.bias', shape: [b], init: zeros },
    { name: 'up.weight', shape: [b, d], init: bert ? normal(0.02) : zeros },
    { name: 'up.bias', shape: [d], init: zeros },
  ];
  if (config.layerNormBefore) {
    rows.push({ name: 'ln_before.weight', shape: [d], init: ones }, { name: 'ln_before.bias', shape: [d], init: zeros });
  }
  if (config.layerNormAfter) {
    rows.push({ name: 'ln_after.weight', shape: [d], init: ones }, { name: 'ln_after.bias', shape: [d], init: zeros });
  }
  if (config.scale === 'learnable') rows.push({ name: 'scale', shape: [], init: ones });
  return rows;
}

/** Creates one adapter's variables under `${stem}.` and returns them as weights for {@link bottleneckForward}. */
export function createBottleneck(
  params: ParameterSet,
  stem: string,
  config: ResolvedAdapterConfig,
  spec: ModelSpec,
  seed: number,
): BottleneckWeights {
  const v: Record<string, tf.Variable> = {};
  for (const row of bottleneckParameterShapes(config, spec)) {
    v[row.name] = params.create(`${stem}.${row.name}`, row.shape, row.init, seed);
  }
  return {
    downWeight: v['down.weight']!,
    downBias: v['down.bias']!,
    upWeight: v['up.weight']!,
    upBias: v['up.bias']!,
    ...(v['ln_before.weight'] ? { lnBefore: { weight: v['ln_before.weight'], bias: v['ln_before.bias']! } } : {}),
    ...(v['ln_after.weight'] ? { lnAfter: { weight: v['ln_after.weight'], bias: v['ln_after.bias']! } } : {}),
    scale: v['scale'] ?? (config.scale as number),
  };
}

/**
 * Trainable parameters of the whole method, from shapes alone (nothing is allocated). For KA-style adapters this is
 * spec §5's adapter_KA(b, ln) = L·((ln ? 2d : 0) + (2d + 1)·b + d) per placement.
 */
export function adapterParameterCount(config: ResolvedAdapterConfig, spec: ModelSpec): number {
  const perAdapter = bottleneckParameterShapes(config, spec).reduce((a, r) => a + r.shape.reduce((x, y) => x * y, 1), 0);
  return spec.numLayers * config.placement.length * perAdapter;
}
