import * as tf from '@tensorflow/tfjs-core';
import { readCheckpointConfig, readCheckpointTensors, type CheckpointTensors } from '@peft/models-base';
import { modelTypeOf } from '@peft/models-base';
import { ArchitectureMismatchError } from '@peft/models-base';
import { FrozenLinear } from '@peft/models-base';
import { LayerNorm } from '@peft/models-base';
import type { Gpt2BlockWeights } from './block.js';
import { parseGpt2Config, type Gpt2Config } from './config.js';
import { Gpt2Model, type Gpt2Weights } from './model.js';


/** The HF tensor names of GPT-2 (without the optional `transformer.` prefix) and their shapes. */
export function gpt2TensorShapes(c: Gpt2Config): Map<string, number[]> {
  const d = c.nEmbd;
  const m = new Map<string, number[]>([
    ['wte.weight', [c.vocabSize, d]],
    ['wpe.weight', [c.nPositions, d]],
  ]);
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}.`;
    m.set(`${p}ln_1.weight`, [d]).set(`${p}ln_1.bias`, [d]);
    m.set(`${p}attn.c_attn.weight`, [d, 3 * d]).set(`${p}attn.c_attn.bias`, [3 * d]);
    m.set(`${p}attn.c_proj.weight`, [d, d]).set(`${p}attn.c_proj.bias`, [d]);
    m.set(`${p}ln_2.weight`, [d]).set(`${p}ln_2.bias`, [d]);
    m.set(`${p}mlp.c_fc.weight`, [d, c.nInner]).set(`${p}mlp.c_fc.bias`, [c.nInner]);
    m.set(`${p}mlp.c_proj.weight`, [c.nInner, d]).set(`${p}mlp.c_proj.bias`, [d]);
  }
  m.set('ln_f.weight', [d]).set('ln_f.bias', [d]);
  return m;
}

/** Reads the GPT-2 weights of a checkpoint (names with or without `transformer.`); Conv1D weights are already [in, out]. */
export function gpt2WeightsFrom(t: CheckpointTensors, c: Gpt2Config): Gpt2Weights {
  const shapes = gpt2TensorShapes(c);
  const created: tf.Tensor[] = [];
  const take = (name: string) => {
    const x = t.float([name, `transformer.${name}`], shapes.get(name)!);
    created.push(x);
    return x;
  };
  try {
    return buildGpt2Weights(t, c, take);
  } catch (e) {
    tf.dispose(created);
    throw e;
  }
}

function buildGpt2Weights(t: CheckpointTensors, c: Gpt2Config, take: (name: string) => tf.Tensor): Gpt2Weights {
  const ln = (p: string) => new LayerNorm(take(`${p}.weight`) as tf.Tensor1D, take(`${p}.bias`) as tf.Tensor1D, c.layerNormEpsilon);
  const conv = (p: string) => new FrozenLinear(take(`${p}.weight`) as tf.Tensor2D, take(`${p}.bias`) as tf.Tensor1D, p);
  const blocks: Gpt2BlockWeights[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}`;
    blocks.push({
      ln1: ln(`${p}.ln_1`),
      cAttn: conv(`${p}.attn.c_attn`),
      cProj: conv(`${p}.attn.c_proj`),
      ln2: ln(`${p}.ln_2`),
      cFc: conv(`${p}.mlp.c_fc`),
      mlpProj: conv(`${p}.mlp.c_proj`),
    });
    for (const buf of ['attn.bias', 'attn.masked_bias']) {
      t.ignore(`${p}.${buf}`);
      t.ignore(`transformer.${p}.${buf}`);
    }
  }
  t.ignore('lm_head.weight'); // tied to wte
  return { wte: take('wte.weight') as tf.Tensor2D, wpe: take('wpe.weight') as tf.Tensor2D, blocks, lnF: ln('ln_f') };
}

/**
 * Loads a Hugging Face GPT-2 checkpoint directory (config.json + model.safetensors). A RoBERTa directory, a missing
 * file, tensor, wrong shape or dtype each raise their own typed error.
 */
export async function loadGpt2(dir: string): Promise<Gpt2Model> {
  const cfg = await readCheckpointConfig(dir);
  const type = modelTypeOf(cfg.json);
  if (type !== 'gpt2') throw new ArchitectureMismatchError(cfg.path, "'gpt2'", type);
  const config = parseGpt2Config(cfg.json, cfg.path);
  const tensors = await readCheckpointTensors(dir);
  tensors.assertNoExtraLayers(cfg.path, 'n_layer', config.nLayer, /^(?:transformer\.)?h\.(\d+)\./);
  const model = new Gpt2Model(config, gpt2WeightsFrom(tensors, config));
  model.loadReport = { unusedTensors: tensors.unused(), initialisedTensors: [] };
  return model;
}
