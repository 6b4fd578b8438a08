import type { LinearSite, ModelSpec, SiteShape } from '@peft/core';
import type { LlamaConfig } from './config.js';

/** PEFT's module names of the decoder layer's linear sites (below `model.layers.{i}.`), with their patterns. */
export const LLAMA_HF_MODULES = [
  { name: 'self_attn.q_proj', sites: ['attn.q'], pattern: 'self_attn\\.q_proj' },
  { name: 'self_attn.k_proj', sites: ['attn.k'], pattern: 'self_attn\\.k_proj' },
  { name: 'self_attn.v_proj', sites: ['attn.v'], pattern: 'self_attn\\.v_proj' },
  { name: 'self_attn.o_proj', sites: ['attn.o'], pattern: 'self_attn\\.o_proj' },
  { name: 'mlp.gate_proj', sites: ['ffn.gate'], pattern: 'mlp\\.gate_proj' },
  { name: 'mlp.up_proj', sites: ['ffn.in'], pattern: 'mlp\\.up_proj' },
  { name: 'mlp.down_proj', sites: ['ffn.out'], pattern: 'mlp\\.down_proj' },
] as const satisfies readonly { name: string; sites: readonly LinearSite[]; pattern: string }[];

/**
 * The facts a Llama-family model owns, from its config: the seven linear sites with their sizes (k and v map
 * d → H_kv·p; `ffn.gate` is gate_proj, `ffn.in` up_proj, `ffn.out` down_proj), key/value heads, rotary positions,
 * RMSNorm, causal attention whose cached length shifts new positions, and PEFT's module names.
 */
export function llamaSpec(c: LlamaConfig, vocabSize: number = c.vocabSize): ModelSpec {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  const ff = c.intermediateSize;
  const site = (inFeatures: number, outFeatures: number): SiteShape => ({ inFeatures, outFeatures });
  return {
    architecture: c.modelType,
    numLayers: c.numLayers,
    hiddenSize: d,
    numHeads: c.numHeads,
    headDim: c.headDim,
    intermediateSize: ff,
    vocabSize,
    numKeyValueHeads: c.numKeyValueHeads,
    linearSites: {
      'attn.q': site(d, q),
      'attn.k': site(d, kv),
      'attn.v': site(d, kv),
      'attn.o': site(q, d),
      'ffn.gate': site(d, ff),
      'ffn.in': site(d, ff),
      'ffn.out': site(ff, d),
    },
    positions: 'rotary',
    norm: 'rms-norm',
    causal: true,
    pastShiftsPositions: true,
    hf: { layersPath: 'model.layers', modules: LLAMA_HF_MODULES, fanInFanOut: false, taskType: 'CAUSAL_LM' },
  };
}
