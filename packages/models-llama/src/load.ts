import * as tf from '@tensorflow/tfjs-core';
import {
  ArchitectureMismatchError,
  FrozenLinear,
  RmsNorm,
  modelTypeOf,
  readCheckpointConfig,
  readCheckpointTensors,
  type CheckpointTensors,
} from '@peft/models-base';
import { LLAMA_MODEL_TYPES, parseLlamaConfig, type LlamaConfig } from './config.js';
import { LlamaModel, type LlamaLayerWeights, type LlamaWeights } from './model.js';

/** The HF tensor names of a Llama-family causal LM and their shapes (HF layout: linear weights [out, in]). */
export function llamaTensorShapes(c: LlamaConfig): Map<string, number[]> {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  const ff = c.intermediateSize;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocabSize, d]]]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, [d]);
    m.set(`${p}self_attn.q_proj.weight`, [q, d]);
    m.set(`${p}self_attn.k_proj.weight`, [kv, d]);
    m.set(`${p}self_attn.v_proj.weight`, [kv, d]);
    if (c.qkvBias) m.set(`${p}self_attn.q_proj.bias`, [q]).set(`${p}self_attn.k_proj.bias`, [kv]).set(`${p}self_attn.v_proj.bias`, [kv]);
    m.set(`${p}self_attn.o_proj.weight`, [d, q]);
    if (c.oBias) m.set(`${p}self_attn.o_proj.bias`, [d]);
    m.set(`${p}post_attention_layernorm.weight`, [d]);
    m.set(`${p}mlp.gate_proj.weight`, [ff, d]);
    m.set(`${p}mlp.up_proj.weight`, [ff, d]);
    m.set(`${p}mlp.down_proj.weight`, [d, ff]);
    if (c.mlpBias) m.set(`${p}mlp.gate_proj.bias`, [ff]).set(`${p}mlp.up_proj.bias`, [ff]).set(`${p}mlp.down_proj.bias`, [d]);
  }
  m.set('model.norm.weight', [d]);
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', [c.vocabSize, d]);
  return m;
}

/** Reads the weights of a checkpoint in HF layout; each linear weight [out, in] is stored transposed, [in, out]. */
export function llamaWeightsFrom(t: CheckpointTensors, c: LlamaConfig): LlamaWeights {
  const shapes = llamaTensorShapes(c);
  const created: tf.Tensor[] = [];
  const take = (name: string): tf.Tensor => {
    const x = t.float([name], shapes.get(name)!);
    created.push(x);
    return x;
  };
  try {
    const norm = (name: string) => new RmsNorm(take(`${name}.weight`) as tf.Tensor1D, c.rmsNormEps);
    const linear = (name: string, bias: boolean): FrozenLinear => {
      const w = take(`${name}.weight`);
      const kernel = tf.transpose(w) as tf.Tensor2D;
      created.push(kernel);
      w.dispose();
      return new FrozenLinear(kernel, bias ? (take(`${name}.bias`) as tf.Tensor1D) : undefined, name);
    };
    const layers: LlamaLayerWeights[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `model.layers.${i}`;
      layers.push({
        inputNorm: norm(`${p}.input_layernorm`),
        q: linear(`${p}.self_attn.q_proj`, c.qkvBias),
        k: linear(`${p}.self_attn.k_proj`, c.qkvBias),
        v: linear(`${p}.self_attn.v_proj`, c.qkvBias),
        o: linear(`${p}.self_attn.o_proj`, c.oBias),
        postNorm: norm(`${p}.post_attention_layernorm`),
        gate: linear(`${p}.mlp.gate_proj`, c.mlpBias),
        up: linear(`${p}.mlp.up_proj`, c.mlpBias),
        down: linear(`${p}.mlp.down_proj`, c.mlpBias),
      });
      t.ignore(`${p}.self_attn.rotary_emb.inv_freq`); // a buffer older checkpoints saved
    }
    const embedTokens = take('model.embed_tokens.weight') as tf.Tensor2D;
    if (c.tieWordEmbeddings) t.ignore('lm_head.weight'); // transformers ties it to embed_tokens whatever the file holds
    const lmHead = c.tieWordEmbeddings ? undefined : (take('lm_head.weight') as tf.Tensor2D);
    return { embedTokens, layers, norm: norm('model.norm'), ...(lmHead ? { lmHead } : {}) };
  } catch (e) {
    tf.dispose(created.filter((x) => !x.isDisposed));
    throw e;
  }
}

/**
 * Loads a Hugging Face Llama / Qwen2 / Mistral / SmolLM2 checkpoint directory (config.json + model.safetensors or
 * its sharded index; F32, F16 or BF16 weights, upcast to float32). Another architecture, a missing file or tensor, a
 * wrong shape or dtype, or weights of more layers than the config counts each raise their own typed error; tensors
 * the model does not use are listed in `loadReport.unusedTensors`.
 */
export async function loadLlama(dir: string): Promise<LlamaModel> {
  const cfg = await readCheckpointConfig(dir);
  const type = modelTypeOf(cfg.json);
  if (!(LLAMA_MODEL_TYPES as readonly string[]).includes(type)) {
    throw new ArchitectureMismatchError(cfg.path, LLAMA_MODEL_TYPES.map((t) => `'${t}'`).join(', '), type);
  }
  const config = parseLlamaConfig(cfg.json, cfg.path);
  const tensors = await readCheckpointTensors(dir);
  tensors.assertNoExtraLayers(cfg.path, 'num_hidden_layers', config.numLayers, /^model\.layers\.(\d+)\./);
  const model = new LlamaModel(config, llamaWeightsFrom(tensors, config));
  model.loadReport = { unusedTensors: tensors.unused(), initialisedTensors: [] };
  return model;
}
