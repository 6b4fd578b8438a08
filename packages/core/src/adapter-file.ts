import * as tf from '@tensorflow/tfjs-core';
import { AdapterMismatchError, CheckpointError } from './errors.js';
import type { MethodDescriptor } from './method.js';
import { finiteEntryToTensor, parseSafetensors, serializeSafetensors, tensorsToEntries } from './safetensors.js';
import { SPEC_IDENTITY_FIELDS, type ModelSpec } from './spec.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** What adapter_config.json holds (beyond any method-specific top-level fields, such as HF PEFT's LoRA fields). */
export interface AdapterConfigFile {
  /** Always "@peft"; tells our files from others. */
  readonly peft_library: '@peft';
  readonly format_version: 1;
  readonly peft_method: MethodDescriptor;
  readonly model_spec: ModelSpec;
  readonly [extra: string]: unknown;
}

export interface AdapterContents {
  readonly config: AdapterConfigFile;
  /** Owned by the caller: dispose them. */
  readonly tensors: Record<string, tf.Tensor>;
}

/** The two files of an adapter, in memory: the text of adapter_config.json and the bytes of adapter_model.safetensors. */
export interface AdapterBytes {
  readonly configText: string;
  readonly weights: Uint8Array;
}

/**
 * The exact contents {@link writeAdapterFiles} writes, without a file system (e.g. for a download in a browser).
 * Asynchronous, as reading a GPU backend's tensors back is.
 */
export async function serializeAdapterFiles(
  config: AdapterConfigFile,
  tensors: Record<string, tf.Tensor>,
  options: { dtype?: 'F32' | 'F16' | 'BF16' } = {},
): Promise<AdapterBytes> {
  return {
    configText: JSON.stringify(config, null, 2) + '\n',
    weights: serializeSafetensors(await tensorsToEntries(tensors, options.dtype ?? 'F32'), { format: 'pt' }),
  };
}

/**
 * Writes an adapter directory: the weights first, then the config, each atomically, so a crash leaves either the old
 * adapter or the new one readable (the config is what makes a directory an adapter).
 */
export async function writeAdapterFiles(
  dir: string,
  config: AdapterConfigFile,
  tensors: Record<string, tf.Tensor>,
  options: { dtype?: 'F32' | 'F16' | 'BF16' } = {},
): Promise<void> {
  await writeAdapterBytes(dir, await serializeAdapterFiles(config, tensors, options));
}

/** {@link writeAdapterFiles} for files already serialised: the weights first, then the config, each atomically. */
export async function writeAdapterBytes(dir: string, files: AdapterBytes): Promise<void> {
  const { join } = await import('node:path');
  const { writeFileAtomic } = await import('./atomic.js');
  await writeFileAtomic(join(dir, ADAPTER_WEIGHTS_FILE), files.weights);
  await writeFileAtomic(join(dir, ADAPTER_CONFIG_FILE), files.configText);
}

/** Reads an adapter directory, validating that both files exist and parse. */
export async function readAdapterFiles(dir: string): Promise<AdapterContents> {
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const cfgPath = join(dir, ADAPTER_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(cfgPath, 'utf8');
  } catch {
    throw new CheckpointError('E_MISSING_FILE', cfgPath, 'no adapter config here (is this an adapter directory?)');
  }
  parseAdapterConfig(text, cfgPath); // a bad config is reported before the weights are read
  const wPath = join(dir, ADAPTER_WEIGHTS_FILE);
  let buf: Buffer;
  try {
    buf = await readFile(wPath);
  } catch {
    throw new CheckpointError('E_MISSING_FILE', wPath, 'adapter weights file is missing');
  }
  return parseAdapterFiles(text, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), { config: cfgPath, weights: wPath });
}

/**
 * Parses an adapter from memory (e.g. two `fetch` responses in a browser): the text of adapter_config.json and the
 * bytes of adapter_model.safetensors. `names` label the two in errors.
 */
export function parseAdapterFiles(
  configText: string,
  weights: Uint8Array,
  names: { config: string; weights: string } = { config: ADAPTER_CONFIG_FILE, weights: ADAPTER_WEIGHTS_FILE },
): AdapterContents {
  const config = parseAdapterConfig(configText, names.config);
  const file = parseSafetensors(weights, names.weights);
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [name, e] of file.tensors) tensors[name] = finiteEntryToTensor(e, name, names.weights);
  } catch (e) {
    tf.dispose(Object.values(tensors));
    throw e;
  }
  return { config, tensors };
}

function parseAdapterConfig(text: string, cfgPath: string): AdapterConfigFile {
  let config: AdapterConfigFile;
  try {
    config = JSON.parse(text) as AdapterConfigFile;
  } catch (e) {
    throw new CheckpointError('E_BAD_JSON', cfgPath, `not valid JSON (${(e as Error).message})`);
  }
  if (config === null || typeof config !== 'object' || config.peft_library !== '@peft' || !config.peft_method || !config.model_spec) {
    throw new CheckpointError(
      'E_NOT_PEFT_ADAPTER',
      cfgPath,
      "lacks 'peft_library', 'peft_method' or 'model_spec': not written by @peft (for Hugging Face PEFT LoRA files use @peft/lora's importer)",
    );
  }
  return config;
}

/** Throws {@link AdapterMismatchError} unless `found` describes the same model shape as `expected`. */
export function checkSpecMatches(path: string, expected: ModelSpec, found: ModelSpec): void {
  for (const f of SPEC_IDENTITY_FIELDS) {
    if (expected[f] !== found[f]) throw new AdapterMismatchError(path, `model_spec.${f}`, expected[f], found[f]);
  }
}
