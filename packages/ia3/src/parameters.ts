import { requireSiteShape, type ModelSpec } from '@peft/core';
import type { Ia3Config, Ia3Target } from './config.js';

/** The name of a scaling vector in the method's ParameterSet: `layers.{i}.{target}.ia3_l` (`layers.0.attn.k.ia3_l`). */
export function ia3ParamName(layer: number, target: Ia3Target): string {
  return `layers.${layer}.${target}.ia3_l`;
}

/**
 * The length of a target's vector, from the model's facts: a linear site's output size (with grouped-query attention
 * `attn.k`/`attn.v` are numKeyValueHeads·headDim wide), or for `ffn.act` the FFN's inner size (the input of `ffn.out`).
 */
export function ia3VectorSize(spec: ModelSpec, target: Ia3Target): number {
  if (target === 'ffn.act') return requireSiteShape(spec, 'ffn.out').inFeatures;
  return requireSiteShape(spec, target).outFeatures;
}

/** Trainable parameters of the method on `spec`: L · Σ vector sizes (GPT-2 small, defaults: 12·(768 + 768 + 3072) = 55,296). */
export function ia3ParameterCount(config: Ia3Config, spec: ModelSpec): number {
  return spec.numLayers * config.targets.reduce((n, t) => n + ia3VectorSize(spec, t), 0);
}
