import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, finiteEntryToTensor, isFileNotFound, readSafetensorsFile, validateModelSpec, type ModelSpec } from '@peft/core';
import { HF_PREFIX_TENSOR, hfEmbeddingsToPrefixes, prefixLengthFromHfConfig } from './hf-layout.js';
import { prefix, type PrefixInstance, type PrefixMethod } from './method.js';

export interface ImportedPrefix {
  readonly method: PrefixMethod;
  /** Owned by the caller: install it with `model.useMethod(instance)`, free it with `instance.dispose()`. */
  readonly instance: PrefixInstance;
}

/**
 * Reads a PREFIX_TUNING adapter written by Hugging Face PEFT (adapter_config.json + adapter_model.safetensors with
 * `prompt_embeddings`, F32/F16/BF16) for a model of shape `spec`, as plain @peft prefixes (position ids shifted by L
 * on GPT-2, as transformers does past a cache).
 */
export async function importHuggingFacePrefix(dir: string, spec: ModelSpec): Promise<ImportedPrefix> {
  validateModelSpec(spec);
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const cfgPath = join(dir, 'adapter_config.json');
  const wPath = join(dir, 'adapter_model.safetensors');
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError('E_BAD_CONFIG', cfgPath, `cannot read a JSON adapter config (${(e as Error).message})`);
  }
  const length = prefixLengthFromHfConfig(cfg, spec, cfgPath);
  let file;
  try {
    file = await readSafetensorsFile(wPath);
  } catch (e) {
    if (isFileNotFound(e)) throw new CheckpointError('E_MISSING_FILE', wPath, 'missing (an adapter is read from adapter_model.safetensors; convert adapter_model.bin with safetensors.torch.save_file)');
    throw e;
  }
  const entry = file.tensors.get(HF_PREFIX_TENSOR);
  if (!entry) throw new CheckpointError('E_MISSING_TENSOR', wPath, `tensor '${HF_PREFIX_TENSOR}' is missing`);
  const method = prefix({ length, reparameterize: false });
  const instance = method.init(spec, { seed: 0 });
  const emb = finiteEntryToTensor(entry, HF_PREFIX_TENSOR, wPath);
  let values: Record<string, tf.Tensor> = {};
  try {
    values = hfEmbeddingsToPrefixes(emb, spec, length, wPath);
    instance.params.assign(values, wPath);
  } catch (e) {
    instance.dispose();
    throw e;
  } finally {
    emb.dispose();
    tf.dispose(Object.values(values));
  }
  return { method, instance };
}
