import type { LinearSite, ModelSpec } from '@peft/core';

/**
 * A Hugging Face module that LoRA can target, with the @peft sites it covers. GPT-2's `c_attn` is one Conv1D that
 * computes q | k | v side by side, so it covers three sites.
 */
export interface HfModule {
  /** Module path below the task model, without the layer prefix: `attn.c_attn`, `attention.self.query`. */
  readonly name: string;
  /** The sites its output columns hold, in order (each d wide for c_attn). */
  readonly sites: readonly LinearSite[];
  /**
   * A Python/JS regex that HF PEFT's `get_pattern_key` (`(.*\.)?(KEY)$`) matches against this module only; used as
   * the key of `rank_pattern` / `alpha_pattern`.
   */
  readonly pattern: string;
}

const GPT2_MODULES: readonly HfModule[] = [
  { name: 'attn.c_attn', sites: ['attn.q', 'attn.k', 'attn.v'], pattern: 'attn\\.c_attn' },
  { name: 'attn.c_proj', sites: ['attn.o'], pattern: 'attn\\.c_proj' },
  { name: 'mlp.c_fc', sites: ['ffn.in'], pattern: 'mlp\\.c_fc' },
  { name: 'mlp.c_proj', sites: ['ffn.out'], pattern: 'mlp\\.c_proj' },
];

const ROBERTA_MODULES: readonly HfModule[] = [
  { name: 'attention.self.query', sites: ['attn.q'], pattern: 'attention\\.self\\.query' },
  { name: 'attention.self.key', sites: ['attn.k'], pattern: 'attention\\.self\\.key' },
  { name: 'attention.self.value', sites: ['attn.v'], pattern: 'attention\\.self\\.value' },
  { name: 'attention.output.dense', sites: ['attn.o'], pattern: 'attention\\.output\\.dense' },
  { name: 'intermediate.dense', sites: ['ffn.in'], pattern: 'intermediate\\.dense' },
  // `output.dense` alone would also match attention.output.dense: anchor it on the layer index
  { name: 'output.dense', sites: ['ffn.out'], pattern: 'layer\\.\\d+\\.output\\.dense' },
];

export function hfModules(spec: ModelSpec): readonly HfModule[] {
  return spec.architecture === 'gpt2' ? GPT2_MODULES : ROBERTA_MODULES;
}

/** The prefix of layer i's modules in the task model (GPT2LMHeadModel, RobertaFor*), as HF PEFT names them. */
export function hfLayerPrefix(spec: ModelSpec, layer: number): string {
  return spec.architecture === 'gpt2' ? `transformer.h.${layer}.` : `roberta.encoder.layer.${layer}.`;
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
  const names = modules.map((m) => m.name.replace(/\./g, '\\.')).join('|');
  const layerWord = spec.architecture === 'gpt2' ? 'h' : 'layer';
  const re = new RegExp(`^(?:.*\\.)?${layerWord}\\.(\\d+)\\.(${names})\\.(lora_A|lora_B)(?:\\.[A-Za-z0-9_-]+)?\\.weight$`);
  const m = re.exec(key);
  if (!m) return undefined;
  return { layer: Number(m[1]), module: modules.find((x) => x.name === m[2])!, part: m[3] as 'lora_A' | 'lora_B' };
}

/** HF's `target_modules` as one regex (fullmatch) covering exactly the given modules of the given layers (default all). */
export function targetModulesRegex(spec: ModelSpec, modules: readonly HfModule[], layers?: readonly number[]): string {
  const layerWord = spec.architecture === 'gpt2' ? 'h' : 'layer';
  const index = layers ? `(?:${layers.join('|')})` : '\\d+';
  return `(?:.*\\.)?${layerWord}\\.${index}\\.(?:${modules.map((m) => m.name.replace(/\./g, '\\.')).join('|')})`;
}

/** The start of a layer-specific `rank_pattern` / `alpha_pattern` key (a regex): `h\.1\.` (GPT-2), `layer\.1\.` (RoBERTa). */
export function hfLayerPattern(spec: ModelSpec, layer: number): string {
  return `${spec.architecture === 'gpt2' ? 'h' : 'layer'}\\.${layer}\\.`;
}
