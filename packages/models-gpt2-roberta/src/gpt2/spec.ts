import type { HfModelFacts, ModelSpec } from '@peft/core';
import type { Gpt2Config } from './config.js';

/** How Hugging Face names GPT2LMHeadModel's parts (Conv1D weights stored [in, out]; `c_attn` holds q | k | v). */
export const GPT2_HF_FACTS: HfModelFacts = {
  layersPath: 'transformer.h',
  modules: [
    { name: 'attn.c_attn', sites: ['attn.q', 'attn.k', 'attn.v'], pattern: 'attn\\.c_attn' },
    { name: 'attn.c_proj', sites: ['attn.o'], pattern: 'attn\\.c_proj' },
    { name: 'mlp.c_fc', sites: ['ffn.in'], pattern: 'mlp\\.c_fc' },
    { name: 'mlp.c_proj', sites: ['ffn.out'], pattern: 'mlp\\.c_proj' },
  ],
  fanInFanOut: true,
  taskType: 'CAUSAL_LM',
};

/**
 * The facts a method reads of a GPT-2 of this config: pre-LN causal layers with learned absolute positions, fused
 * q/k/v and a dense FFN. `vocabSize` defaults to the config's (a model with added tokens passes its own).
 */
export function gpt2Spec(
  c: Pick<Gpt2Config, 'nLayer' | 'nEmbd' | 'nHead' | 'nInner' | 'vocabSize'>,
  vocabSize: number = c.vocabSize,
): ModelSpec {
  const d = c.nEmbd;
  const attn = { inFeatures: d, outFeatures: d };
  return {
    architecture: 'gpt2',
    numLayers: c.nLayer,
    hiddenSize: d,
    numHeads: c.nHead,
    headDim: d / c.nHead,
    intermediateSize: c.nInner,
    vocabSize,
    numKeyValueHeads: c.nHead,
    linearSites: {
      'attn.q': attn,
      'attn.k': attn,
      'attn.v': attn,
      'attn.o': attn,
      'ffn.in': { inFeatures: d, outFeatures: c.nInner },
      'ffn.out': { inFeatures: c.nInner, outFeatures: d },
    },
    positions: 'learned-absolute',
    norm: 'layer-norm',
    causal: true,
    pastShiftsPositions: true,
    hf: GPT2_HF_FACTS,
  };
}
