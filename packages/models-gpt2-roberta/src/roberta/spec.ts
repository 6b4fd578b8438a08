import type { HfModelFacts, ModelSpec } from '@peft/core';
import type { RobertaConfig } from './config.js';

/** How Hugging Face names RobertaForSequenceClassification's parts (nn.Linear weights stored [out, in]). */
export const ROBERTA_HF_FACTS: HfModelFacts = {
  layersPath: 'roberta.encoder.layer',
  modules: [
    { name: 'attention.self.query', sites: ['attn.q'], pattern: 'attention\\.self\\.query' },
    { name: 'attention.self.key', sites: ['attn.k'], pattern: 'attention\\.self\\.key' },
    { name: 'attention.self.value', sites: ['attn.v'], pattern: 'attention\\.self\\.value' },
    { name: 'attention.output.dense', sites: ['attn.o'], pattern: 'attention\\.output\\.dense' },
    { name: 'intermediate.dense', sites: ['ffn.in'], pattern: 'intermediate\\.dense' },
    // `output.dense` alone would also match attention.output.dense: anchor it on the layer index
    { name: 'output.dense', sites: ['ffn.out'], pattern: 'layer\\.\\d+\\.output\\.dense' },
  ],
  fanInFanOut: false,
  taskType: 'SEQ_CLS',
  headModule: 'classifier',
};

/**
 * The facts a method reads of a RoBERTa of this config: post-LN bidirectional layers with learned absolute positions,
 * separate q/k/v and a dense FFN; inducer-tuning reproduces the authors' RoBERTa code, whose λ ignores the padding mask.
 */
export function robertaSpec(c: Pick<RobertaConfig, 'numLayers' | 'hiddenSize' | 'numHeads' | 'intermediateSize' | 'vocabSize'>): ModelSpec {
  const d = c.hiddenSize;
  const attn = { inFeatures: d, outFeatures: d };
  return {
    architecture: 'roberta',
    numLayers: c.numLayers,
    hiddenSize: d,
    numHeads: c.numHeads,
    headDim: d / c.numHeads,
    intermediateSize: c.intermediateSize,
    vocabSize: c.vocabSize,
    numKeyValueHeads: c.numHeads,
    linearSites: {
      'attn.q': attn,
      'attn.k': attn,
      'attn.v': attn,
      'attn.o': attn,
      'ffn.in': { inFeatures: d, outFeatures: c.intermediateSize },
      'ffn.out': { inFeatures: c.intermediateSize, outFeatures: d },
    },
    positions: 'learned-absolute',
    norm: 'layer-norm',
    causal: false,
    pastShiftsPositions: false,
    hf: ROBERTA_HF_FACTS,
    quirks: { lambdaIgnoresPaddingMask: true },
  };
}
