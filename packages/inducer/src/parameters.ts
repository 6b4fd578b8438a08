import { ParameterSet, wrappedNormal, type ModelSpec } from '@peft/core';
import type { InducerConfig } from './config.js';

/** Every inducer parameter starts as torch.fmod(randn, 2)·0.01 (KA `truncated_gaussian`, spec §1.2): nothing is zero. */
export const INDUCER_INIT_STD = 0.01;

export type KeyPart = 'A' | 'b1' | 'B' | 'b2';
export type ValuePart = 'A' | 'b1' | 'B' | 'b2';

export function keyParamName(layer: number, part: KeyPart): string {
  return `layers.${layer}.inducer.key.${part}`;
}
export function valueParamName(layer: number, part: ValuePart): string {
  return `layers.${layer}.inducer.value.${part}`;
}

/**
 * The shapes of one layer's parameters, in KA's PyTorch layout (so the golden vectors' flat indices carry over):
 * key MLP (r_k ≥ 2): A [H, p, r_k], b1 [H, 1, r_k], B [H, r_k, p], b2 [H, 1, p];
 * value MLP: A [H, p, r_v], b1 [H, 1, r_v], then B [H, r_v, d] and b2 [d] (extension), B [r_v, d] and b2 [d]
 * (head-shared), or B [H, r_v, p] and b2 [H, 1, p] (per-head, no extension).
 */
export function layerShapes(config: InducerConfig, spec: ModelSpec): { name: (layer: number) => string; shape: number[] }[] {
  const { numHeads: h, headDim: p, hiddenSize: d } = spec;
  const rk = config.keyRank;
  const rv = config.valueRank;
  const out: { name: (layer: number) => string; shape: number[] }[] = [];
  if (rk >= 2) {
    out.push({ name: (l) => keyParamName(l, 'A'), shape: [h, p, rk] });
    out.push({ name: (l) => keyParamName(l, 'b1'), shape: [h, 1, rk] });
    out.push({ name: (l) => keyParamName(l, 'B'), shape: [h, rk, p] });
    out.push({ name: (l) => keyParamName(l, 'b2'), shape: [h, 1, p] });
  }
  out.push({ name: (l) => valueParamName(l, 'A'), shape: [h, p, rv] });
  out.push({ name: (l) => valueParamName(l, 'b1'), shape: [h, 1, rv] });
  if (!config.valueExtension) {
    out.push({ name: (l) => valueParamName(l, 'B'), shape: [h, rv, p] });
    out.push({ name: (l) => valueParamName(l, 'b2'), shape: [h, 1, p] });
  } else {
    out.push({ name: (l) => valueParamName(l, 'B'), shape: config.headShare ? [rv, d] : [h, rv, d] });
    out.push({ name: (l) => valueParamName(l, 'b2'), shape: [d] });
  }
  return out;
}

export function createInducerParameters(config: InducerConfig, spec: ModelSpec, seed: number): ParameterSet {
  const params = new ParameterSet();
  const shapes = layerShapes(config, spec);
  try {
    for (let layer = 0; layer < spec.numLayers; layer++) {
      for (const s of shapes) params.create(s.name(layer), s.shape, wrappedNormal(INDUCER_INIT_STD), seed);
    }
  } catch (e) {
    params.dispose();
    throw e;
  }
  return params;
}

/**
 * Trainable parameters for a config on a model, in closed form (spec §1.3 / §5). With N_h = 12, p = 64, d = 768:
 * 12·[(r_k ≥ 2 ? 1548·r_k + 768 : 0) + 9996·r_v + 768] with extension, 1548·r_v + 768 per layer without.
 */
export function inducerParameterCount(config: InducerConfig, spec: ModelSpec): number {
  const { numHeads: h, headDim: p, hiddenSize: d, numLayers } = spec;
  const rk = config.keyRank;
  const rv = config.valueRank;
  const key = rk >= 2 ? h * p * rk + h * rk + h * rk * p + h * p : 0;
  const valueIn = h * p * rv + h * rv;
  const valueOut = !config.valueExtension ? h * rv * p + h * p : (config.headShare ? rv * d : h * rv * d) + d;
  return numLayers * (key + valueIn + valueOut);
}
