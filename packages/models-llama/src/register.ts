import { registerModelLoader, type ModelLoader, type ModelTokenizer } from '@peft/models-base';
import { LLAMA_MODEL_TYPES, llamaParameterCount, parseLlamaConfig } from './config.js';
import { loadLlama } from './load.js';
import { llamaSpec } from './spec.js';
import { loadLlamaTokenizer } from './tokenizer.js';

/**
 * Llama, Qwen2 and Mistral folders (`model_type` llama, qwen2, mistral; SmolLM2 is llama): a causal LM and its
 * tokenizer.json. The recipes' tokenizer view encodes text as it is, without the bos the post-processor would add.
 */
export const LLAMA_LOADER: ModelLoader = {
  describe(json, path) {
    const c = parseLlamaConfig(json, path);
    return {
      kind: 'causal-lm',
      spec: llamaSpec(c),
      baseParameterCount: llamaParameterCount(c),
      positionLimit: { tokens: c.maxPositions, field: 'max_position_embeddings' },
    };
  },
  load: (dir) => loadLlama(dir),
  async loadTokenizer(dir): Promise<ModelTokenizer> {
    const tok = await loadLlamaTokenizer(dir);
    return {
      encode: (text) => tok.encode(text, { addSpecialTokens: false }),
      decode: (ids, options) => tok.decode(ids, options),
      tokenToId: (token) => tok.tokenToId(token),
      addSpecialTokens: (tokens) => tok.addSpecialTokens(tokens),
    };
  },
};

registerModelLoader(LLAMA_MODEL_TYPES, LLAMA_LOADER);
