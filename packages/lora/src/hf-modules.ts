import { ConfigError, type HfModelFacts, type HfModuleFacts, type ModelSpec } from '@peft/core';

/** A Hugging Face module that LoRA can target, with the @peft sites it covers (GPT-2's `c_attn` covers q, k and v). */
export type HfModule = HfModuleFacts;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The model's Hugging Face names (its spec's `hf` facts); a model whose spec has none cannot have its adapters written
 * or read in PEFT's layout.
 */
export function hfFacts(spec: ModelSpec): HfModelFacts {
  if (!spec.hf) {
    throw new ConfigError(
      'model_spec.hf',
      `a ${spec.architecture} model's spec names no Hugging Face modules (hf facts), so its LoRA adapters cannot be written or read in PEFT's layout; save in @peft's own layout`,
    );
  }
  return spec.hf;
}

export function hfModules(spec: ModelSpec): readonly HfModule[] {
  return hfFacts(spec).modules;
}

/** The prefix of layer i's modules in the task model (`transformer.h.3.`, `roberta.encoder.layer.3.`), as HF PEFT names them. */
export function hfLayerPrefix(spec: ModelSpec, layer: number): string {
  return `${hfFacts(spec).layersPath}.${layer}.`;
}

/** The last part of the layer list's path (`h`, `layer`, `layers`): what PEFT's keys and patterns match on. */
function layerWord(spec: ModelSpec): string {
  const path = hfFacts(spec).layersPath;
  return path.slice(path.lastIndexOf('.') + 1);
}

/** The prefix PEFT puts before every saved key. */
export const HF_KEY_PREFIX = 'base_model.model.';

export function hfKey(spec: ModelSpec, layer: number, module: HfModule, part: 'lora_A' | 'lora_B'): string {
  return `${HF_KEY_PREFIX}${hfLayerPrefix(spec, layer)}${module.name}.${part}.weight`;
}

/**
 * Parses a saved LoRA key of any prefix (`base_model.model.transformer.h.3.attn.c_attn.lora_A.weight`, also
 * `…h.3…` of a bare GPT2Model, or with the adapter name `lora_A.default.weight`).
 */
export function parseHfKey(spec: ModelSpec, key: string): { layer: number; module: HfModule; part: 'lora_A' | 'lora_B' } | undefined {
  const modules = hfModules(spec);
  const names = modules.map((m) => escapeRegex(m.name)).join('|');
  const re = new RegExp(`^(?:.*\\.)?${escapeRegex(layerWord(spec))}\\.(\\d+)\\.(${names})\\.(lora_A|lora_B)(?:\\.[A-Za-z0-9_-]+)?\\.weight$`);
  const m = re.exec(key);
  if (!m) return undefined;
  return { layer: Number(m[1]), module: modules.find((x) => x.name === m[2])!, part: m[3] as 'lora_A' | 'lora_B' };
}

/** HF's `target_modules` as one regex (fullmatch) covering exactly the given modules of the given layers (default all). */
export function targetModulesRegex(spec: ModelSpec, modules: readonly HfModule[], layers?: readonly number[]): string {
  const index = layers ? `(?:${layers.join('|')})` : '\\d+';
  return `(?:.*\\.)?${escapeRegex(layerWord(spec))}\\.${index}\\.(?:${modules.map((m) => m.name.replace(/\./g, '\\.')).join('|')})`;
}

/** The start of a layer-specific `rank_pattern` / `alpha_pattern` key (a regex): `h\.1\.` (GPT-2), `layer\.1\.` (RoBERTa). */
export function hfLayerPattern(spec: ModelSpec, layer: number): string {
  return `${escapeRegex(layerWord(spec))}\\.${layer}\\.`;
}
