import { registerModelLoader, type ModelLoader, type ModelTokenizer } from '@peft/models-base';
import { gpt2ParameterCount, parseGpt2Config } from './gpt2/config.js';
import { loadGpt2 } from './gpt2/load.js';
import { gpt2Spec } from './gpt2/spec.js';
import { parseRobertaConfig, robertaParameterCount } from './roberta/config.js';
import { loadRoberta } from './roberta/load.js';
import { robertaSpec } from './roberta/spec.js';
import { loadGpt2Tokenizer, loadRobertaTokenizer } from './tokenizer/load.js';

/** GPT-2 folders (`model_type` gpt2): a causal LM, its byte-level BPE tokenizer. */
export const GPT2_LOADER: ModelLoader = {
  describe(json, path) {
    const c = parseGpt2Config(json, path);
    return {
      kind: 'causal-lm',
      spec: gpt2Spec(c),
      baseParameterCount: gpt2ParameterCount(c),
      positionLimit: { tokens: c.nPositions, field: 'n_positions' },
    };
  },
  load: (dir) => loadGpt2(dir),
  loadTokenizer: async (dir) => (await loadGpt2Tokenizer(dir)) as ModelTokenizer,
};

/** RoBERTa folders (`model_type` roberta): a sequence classifier (head loaded, or initialised with numLabels/seed). */
export const ROBERTA_LOADER: ModelLoader = {
  describe(json, path) {
    const c = parseRobertaConfig(json, path);
    return {
      kind: 'classifier',
      spec: robertaSpec(c),
      baseParameterCount: robertaParameterCount(c),
      positionLimit: { tokens: c.maxPositions - 2, field: 'max_position_embeddings' },
    };
  },
  load: (dir, options = {}) => loadRoberta(dir, options),
  loadTokenizer: async (dir) => (await loadRobertaTokenizer(dir)) as ModelTokenizer,
};

registerModelLoader(['gpt2'], GPT2_LOADER);
registerModelLoader(['roberta'], ROBERTA_LOADER);
