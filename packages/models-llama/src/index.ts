export { parseLlamaConfig, llamaParameterCount, LLAMA_MODEL_TYPES, ROPE_TYPES } from './config.js';
export type { LlamaConfig, LlamaModelType, RopeScaling } from './config.js';
export { LlamaModel } from './model.js';
export type { LlamaWeights, LlamaLayerWeights, LlamaForwardInput, LlamaForwardOutput } from './model.js';
export { loadLlama, llamaTensorShapes, llamaWeightsFrom } from './load.js';
export { ropeInverseFrequencies, rotaryAngles, applyRotary } from './rope.js';
export type { RotaryAngles } from './rope.js';
export { slidingWindowMask } from './sliding-window.js';
export { LlamaTokenizer, loadLlamaTokenizer } from './tokenizer.js';
export type { LlamaTokenizerFiles, LlamaEncodeOptions, LlamaDecodeOptions } from './tokenizer.js';
export { writeRandomLlamaCheckpoint, generateSmolLm2Shaped, SMOLLM2_135M_CONFIG, LLAMA_HF_INIT_VALUES } from './checkpoint/random.js';
export type { RandomLlamaValues, RandomLlamaLayout } from './checkpoint/random.js';
export { llamaSpec, LLAMA_HF_MODULES } from './spec.js';
// registers Llama, Qwen2 and Mistral folders with @peft/models-base's loadModelFolder (a side effect of importing this package)
export { LLAMA_LOADER } from './register.js';
