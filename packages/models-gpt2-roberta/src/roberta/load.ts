import * as tf from '@tensorflow/tfjs-core';
import { Rng, normal } from '@peft/core';
import { readCheckpointConfig, readCheckpointTensors, type CheckpointTensors } from '@peft/models-base';
import { modelTypeOf } from '@peft/models-base';
import { ArchitectureMismatchError } from '@peft/models-base';
import { FrozenLinear } from '@peft/models-base';
import { LayerNorm } from '@peft/models-base';
import type { RobertaClassifierWeights } from './classifier.js';
import { parseRobertaConfig, type RobertaConfig } from './config.js';
import type { RobertaLayerWeights } from './layer.js';
import { RobertaModel, type RobertaWeights } from './model.js';

export interface LoadRobertaOptions {
  /** Number of classes of the head; default from config.json (`num_labels` / `id2label`, else 2). */
  readonly numLabels?: number;
  /** Seed of the N(0, 0.02) init of a classification head absent from the checkpoint (default 0). */
  readonly seed?: number;
}

/** The HF tensor names of RoBERTa (without the optional `roberta.` prefix) and their HF shapes (nn.Linear [out, in]). */
export function robertaTensorShapes(c: RobertaConfig): Map<string, number[]> {
  const d = c.hiddenSize;
  const m = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [c.vocabSize, d]],
    ['embeddings.position_embeddings.weight', [c.maxPositions, d]],
    ['embeddings.token_type_embeddings.weight', [c.typeVocabSize, d]],
    ['embeddings.LayerNorm.weight', [d]],
    ['embeddings.LayerNorm.bias', [d]],
  ]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.layer.${i}.`;
    for (const s of ['query', 'key', 'value']) m.set(`${p}attention.self.${s}.weight`, [d, d]).set(`${p}attention.self.${s}.bias`, [d]);
    m.set(`${p}attention.output.dense.weight`, [d, d]).set(`${p}attention.output.dense.bias`, [d]);
    m.set(`${p}attention.output.LayerNorm.weight`, [d]).set(`${p}attention.output.LayerNorm.bias`, [d]);
    m.set(`${p}intermediate.dense.weight`, [c.intermediateSize, d]).set(`${p}intermediate.dense.bias`, [c.intermediateSize]);
    m.set(`${p}output.dense.weight`, [d, c.intermediateSize]).set(`${p}output.dense.bias`, [d]);
    m.set(`${p}output.LayerNorm.weight`, [d]).set(`${p}output.LayerNorm.bias`, [d]);
  }
  return m;
}

/** The HF names and shapes of `RobertaClassificationHead`. */
export function robertaClassifierShapes(d: number, numLabels: number): Map<string, number[]> {
  return new Map([
    ['classifier.dense.weight', [d, d]],
    ['classifier.dense.bias', [d]],
    ['classifier.out_proj.weight', [numLabels, d]],
    ['classifier.out_proj.bias', [numLabels]],
  ]);
}

/**
 * Reads RoBERTa weights (`roberta.` prefix optional), transposing nn.Linear weights to [in, out]. The classification
 * head is loaded when the file has it, else initialised N(0, 0.02) / zero bias like HF's fast init (spec §3.6).
 */
export function robertaWeightsFrom(
  t: CheckpointTensors,
  c: RobertaConfig,
  options: LoadRobertaOptions = {},
): { weights: RobertaWeights; initialised: string[] } {
  const created: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(x: T): T => {
    created.push(x);
    return x;
  };
  try {
    return buildRobertaWeights(t, c, options, keep);
  } catch (e) {
    tf.dispose(created);
    throw e;
  }
}

function buildRobertaWeights(
  t: CheckpointTensors,
  c: RobertaConfig,
  options: LoadRobertaOptions,
  keep: <T extends tf.Tensor>(x: T) => T,
): { weights: RobertaWeights; initialised: string[] } {
  const shapes = robertaTensorShapes(c);
  const take = (name: string) => keep(t.float([`roberta.${name}`, name], shapes.get(name)!));
  const ln = (p: string) => new LayerNorm(take(`${p}.weight`) as tf.Tensor1D, take(`${p}.bias`) as tf.Tensor1D, c.layerNormEps);
  const linearFrom = (weight: tf.Tensor, bias: tf.Tensor, name: string) => {
    const kernel = keep(tf.transpose(weight) as tf.Tensor2D); // [out, in] → [in, out]
    weight.dispose();
    return new FrozenLinear(kernel, bias as tf.Tensor1D, name);
  };
  const linear = (p: string) => linearFrom(take(`${p}.weight`), take(`${p}.bias`), p);
  const layers: RobertaLayerWeights[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.layer.${i}`;
    layers.push({
      query: linear(`${p}.attention.self.query`),
      key: linear(`${p}.attention.self.key`),
      value: linear(`${p}.attention.self.value`),
      attnOut: linear(`${p}.attention.output.dense`),
      attnLn: ln(`${p}.attention.output.LayerNorm`),
      intermediate: linear(`${p}.intermediate.dense`),
      output: linear(`${p}.output.dense`),
      outLn: ln(`${p}.output.LayerNorm`),
    });
  }
  for (const name of t.names()) {
    if (/^(roberta\.)?embeddings\.position_ids$/.test(name) || /^(roberta\.)?pooler\./.test(name) || name.startsWith('lm_head.')) {
      t.ignore(name);
    }
  }

  const numLabels = options.numLabels ?? c.numLabels;
  const headShapes = robertaClassifierShapes(c.hiddenSize, numLabels);
  const headNames = [...headShapes.keys()];
  const present = headNames.filter((n) => t.resolve([n, `roberta.${n}`]) !== undefined);
  const initialised: string[] = [];
  const head = (name: string): tf.Tensor => {
    const shape = headShapes.get(name)!;
    if (present.length > 0) return keep(t.float([name, `roberta.${name}`], shape)); // a partial head is a missing-tensor error
    initialised.push(name);
    const init = name.endsWith('.bias') ? (s: readonly number[]) => new Float32Array(s.reduce((a, b) => a * b, 1)) : normal(0.02);
    return keep(tf.tensor(init(shape, Rng.forParameter(options.seed ?? 0, name)), shape, 'float32'));
  };
  const classifier: RobertaClassifierWeights = {
    dense: linearFrom(head('classifier.dense.weight'), head('classifier.dense.bias'), 'classifier.dense'),
    outProj: linearFrom(head('classifier.out_proj.weight'), head('classifier.out_proj.bias'), 'classifier.out_proj'),
  };
  const weights: RobertaWeights = {
    wordEmbeddings: take('embeddings.word_embeddings.weight') as tf.Tensor2D,
    positionEmbeddings: take('embeddings.position_embeddings.weight') as tf.Tensor2D,
    tokenTypeEmbeddings: take('embeddings.token_type_embeddings.weight') as tf.Tensor2D,
    embeddingsLn: ln('embeddings.LayerNorm'),
    layers,
    classifier,
  };
  return { weights, initialised };
}

/**
 * Loads a Hugging Face RoBERTa checkpoint directory (config.json + model.safetensors) with its classification head
 * (loaded, or initialised when absent). A GPT-2 directory, a missing file, tensor, wrong shape or dtype each raise
 * their own typed error.
 */
export async function loadRoberta(dir: string, options: LoadRobertaOptions = {}): Promise<RobertaModel> {
  const cfg = await readCheckpointConfig(dir);
  const type = modelTypeOf(cfg.json);
  if (type !== 'roberta') throw new ArchitectureMismatchError(cfg.path, "'roberta'", type);
  const config = parseRobertaConfig(cfg.json, cfg.path);
  const tensors = await readCheckpointTensors(dir);
  tensors.assertNoExtraLayers(cfg.path, 'num_hidden_layers', config.numLayers, /^(?:roberta\.)?encoder\.layer\.(\d+)\./);
  const { weights, initialised } = robertaWeightsFrom(tensors, config, options);
  const model = new RobertaModel(options.numLabels ? { ...config, numLabels: options.numLabels } : config, weights);
  model.loadReport = { unusedTensors: tensors.unused(), initialisedTensors: initialised };
  return model;
}
