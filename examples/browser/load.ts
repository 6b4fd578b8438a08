// Loading a checkpoint and an adapter from fetched bytes: the in-memory counterparts of loadGpt2(dir),
// loadGpt2Tokenizer(dir) and loadAdapter(dir, model), which read files with node:fs.
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_METADATA_FILE,
  ADAPTER_WEIGHTS_FILE,
  adapterFromBytes,
  type TunedModel,
} from '@peft/core';
import {
  Gpt2Model,
  checkpointTensorsFromBytes,
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
  const tensors = checkpointTensorsFromBytes(base, new Map([[file, await fetchBytes(file)]]));
  return new Gpt2Model(config, gpt2WeightsFrom(tensors, config));
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
 * An @peft adapter from `<base>/adapter_config.json` + `<base>/adapter_model.safetensors` + `<base>/peft_tfjs.json`,
 * attached to `model`:
 * `adapterFromBytes` rebuilds the method through the registry (import its package first), checks it against the
 * model's shape and assigns its tensors — `loadAdapter` without the file system.
 */
export async function fetchAdapter(base: string, model: Gpt2Model): Promise<TunedModel<Gpt2Model>> {
  const configPath = `${base}/${ADAPTER_CONFIG_FILE}`;
  const configText = await fetchText(configPath);
  if (configText === undefined) throw new Error(`GET ${configPath}: no adapter config there`);
  const metadataText = await fetchText(`${base}/${ADAPTER_METADATA_FILE}`); // absent: an adapter of an older @peft
  return adapterFromBytes(configText, await fetchBytes(`${base}/${ADAPTER_WEIGHTS_FILE}`), model, metadataText);
}
