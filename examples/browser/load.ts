// Loading a checkpoint and an adapter from fetched bytes: the in-memory counterparts of loadGpt2(dir),
// loadGpt2Tokenizer(dir) and loadAdapter(dir, model), which read files with node:fs.
import * as tf from '@tensorflow/tfjs-core';
import {
  TunedModel,
  checkSpecMatches,
  entryToTensor,
  methodFromDescriptor,
  parseSafetensors,
  type AdapterConfigFile,
  type SafetensorsEntry,
} from '@peft/core';
import {
  CheckpointTensors,
  Gpt2Model,
  gpt2WeightsFrom,
  parseGpt2Config,
  tokenizerFromFiles,
  type Gpt2Tokenizer,
  type TokenizerFiles,
} from '@peft/models-gpt2-roberta';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function fetchText(url: string): Promise<string | undefined> {
  const res = await fetch(url);
  return res.ok ? res.text() : undefined;
}

/** GPT-2 from `<base>/config.json` + `<base>/model.safetensors`. */
export async function fetchGpt2(base: string): Promise<Gpt2Model> {
  const configPath = `${base}/config.json`;
  const config = parseGpt2Config(JSON.parse((await fetchText(configPath)) ?? 'null'), configPath);
  const file = `${base}/model.safetensors`;
  const parsed = parseSafetensors(await fetchBytes(file), file);
  const entries = new Map<string, { entry: SafetensorsEntry; file: string }>();
  for (const [name, entry] of parsed.tensors) entries.set(name, { entry, file });
  return new Gpt2Model(config, gpt2WeightsFrom(new CheckpointTensors(base, entries), config));
}

/** The checkpoint's tokenizer from whichever tokenizer files the server has. */
export async function fetchGpt2Tokenizer(base: string): Promise<Gpt2Tokenizer> {
  const names = {
    tokenizerJson: 'tokenizer.json',
    vocabJson: 'vocab.json',
    mergesTxt: 'merges.txt',
    tokenizerConfigJson: 'tokenizer_config.json',
    specialTokensMapJson: 'special_tokens_map.json',
  } as const;
  const files: TokenizerFiles = {};
  for (const [key, name] of Object.entries(names)) {
    const text = await fetchText(`${base}/${name}`);
    if (text !== undefined) files[key as keyof TokenizerFiles] = text;
  }
  const tokenizer = tokenizerFromFiles(files, base);
  if (tokenizer.kind !== 'gpt2') throw new Error(`${base} holds a ${tokenizer.kind} tokenizer, not GPT-2's`);
  return tokenizer;
}

/**
 * An @peft adapter from `<base>/adapter_config.json` + `<base>/adapter_model.safetensors`, attached to `model`: the
 * method is rebuilt through the registry (import its package first), checked against the model's shape, and its
 * tensors assigned — what `loadAdapter` does with files.
 */
export async function fetchAdapter(base: string, model: Gpt2Model): Promise<TunedModel<Gpt2Model>> {
  const configPath = `${base}/adapter_config.json`;
  const config = JSON.parse((await fetchText(configPath)) ?? 'null') as AdapterConfigFile;
  checkSpecMatches(configPath, model.spec, config.model_spec);
  const method = methodFromDescriptor(config.peft_method);
  const file = `${base}/adapter_model.safetensors`;
  const parsed = parseSafetensors(await fetchBytes(file), file);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, entry] of parsed.tensors) tensors[name] = entryToTensor(entry, name, file);
  const instance = method.init(model.spec, { seed: 0 });
  try {
    if (instance.importTensors) instance.importTensors(tensors, file);
    else instance.params.assign(tensors, file);
  } catch (e) {
    instance.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(tensors));
  }
  model.useMethod(instance);
  return new TunedModel(model, method, instance);
}
