import type { LinearSite, ModelSpec } from '@peft/core';
import { HF_KEY_PREFIX, hfLayerPrefix, hfModules, loraLayers, siteDims, type HfModule } from '@peft/lora';
import type { DoraConfig } from './config.js';

/** The suffix of a magnitude vector's key in a Hugging Face PEFT file (PEFT 0.21: no `.weight`, no adapter name). */
export const HF_MAGNITUDE_SUFFIX = 'lora_magnitude_vector';

/**
 * One Hugging Face module's magnitude vector in one layer: [Σ d_out of the module's sites], the sites' slices in
 * column order. A fused module (GPT-2's c_attn: q | k | v) holds one slice per site; a site DoRA does not target
 * (k, for DoRA on q and v) holds ‖W_k‖, so that PEFT's m/‖W + s·BA‖ is 1 there (its rows of B are zero) and those
 * columns stay the base model's, exactly as @peft leaves them.
 */
export interface MagnitudePlan {
  readonly layer: number;
  readonly module: HfModule;
  readonly key: string;
  readonly size: number;
  readonly slices: readonly { readonly site: LinearSite; readonly offset: number; readonly size: number; readonly targeted: boolean }[];
}

/** The magnitude vectors of this config on `spec`, layer by layer, in PEFT's module order. */
export function magnitudePlans(config: DoraConfig, spec: ModelSpec): MagnitudePlan[] {
  const plans: MagnitudePlan[] = [];
  for (const layer of loraLayers(config, spec.numLayers)) {
    for (const module of hfModules(spec)) {
      if (!module.sites.some((s) => config.sites.includes(s))) continue;
      let offset = 0;
      const slices = module.sites.map((site) => {
        const size = siteDims(spec, site)[1];
        const slice = { site, offset, size, targeted: config.sites.includes(site) };
        offset += size;
        return slice;
      });
      plans.push({ layer, module, key: magnitudeKey(spec, layer, module), size: offset, slices });
    }
  }
  return plans;
}

/** `base_model.model.<layer prefix><module>.lora_magnitude_vector`. */
export function magnitudeKey(spec: ModelSpec, layer: number, module: HfModule): string {
  return `${HF_KEY_PREFIX}${hfLayerPrefix(spec, layer)}${module.name}.${HF_MAGNITUDE_SUFFIX}`;
}

/** Sites DoRA does not target that share a Hugging Face module with one it does (k of c_attn for DoRA on q, v). */
export function untargetedFusedSites(config: DoraConfig, spec: ModelSpec): LinearSite[] {
  const out = new Set<LinearSite>();
  // a model without Hugging Face facts fuses no sites
  for (const module of spec.hf ? hfModules(spec) : []) {
    if (!module.sites.some((s) => config.sites.includes(s))) continue;
    for (const s of module.sites) if (!config.sites.includes(s)) out.add(s);
  }
  return [...out];
}
