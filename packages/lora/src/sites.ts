import { requireSiteShape, type LinearSite, type ModelSpec } from '@peft/core';

/**
 * [d_in, d_out] of a linear site, as the model's spec gives it (k and v map d → H_kv·p under grouped-query attention);
 * a {@link ConfigError} names a site the model does not have (`ffn.gate` on GPT-2).
 */
export function siteDims(spec: ModelSpec, site: LinearSite): [number, number] {
  const { inFeatures, outFeatures } = requireSiteShape(spec, site);
  return [inFeatures, outFeatures];
}

/** The name of a LoRA parameter in the method's {@link ParameterSet}: `layers.{i}.{site}.lora_A` etc. */
export function loraParamName(layer: number, site: LinearSite, part: 'lora_A' | 'lora_B' | 'lora_bias'): string {
  return `layers.${layer}.${site}.${part}`;
}
