import type { LinearSite, ModelSpec } from '@peft/core';

/** [d_in, d_out] of a linear site: attention maps are d → d, the FFN d → d_ff → d. */
export function siteDims(spec: ModelSpec, site: LinearSite): [number, number] {
  const d = spec.hiddenSize;
  if (site === 'ffn.in') return [d, spec.intermediateSize];
  if (site === 'ffn.out') return [spec.intermediateSize, d];
  return [d, d];
}

/** The name of a LoRA parameter in the method's {@link ParameterSet}: `layers.{i}.{site}.lora_A` etc. */
export function loraParamName(layer: number, site: LinearSite, part: 'lora_A' | 'lora_B' | 'lora_bias'): string {
  return `layers.${layer}.${site}.${part}`;
}
