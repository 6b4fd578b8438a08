import * as tf from '@tensorflow/tfjs-core';
import { AdapterMismatchError, CheckpointError } from './errors.js';
import type { MethodDescriptor } from './method.js';
import { finiteEntryToTensor, parseSafetensors, serializeSafetensors, tensorsToEntries } from './safetensors.js';
import { SPEC_IDENTITY_FIELDS, type ModelSpec } from './spec.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
/**
 * @peft's own metadata (method descriptor, model shape), beside adapter_config.json, where Hugging Face PEFT does not
 * look: adapter_config.json holds only fields PEFT knows, so PEFT loads the directory without warnings.
 */
export const ADAPTER_METADATA_FILE = 'peft_tfjs.json';

/** The fields of {@link ADAPTER_METADATA_FILE} (format 2; format 1 kept them inside adapter_config.json). */
export const ADAPTER_METADATA_FIELDS = ['peft_library', 'format_version', 'peft_method', 'model_spec'] as const;

/**
 * An adapter's configuration as one object: @peft's metadata ({@link ADAPTER_METADATA_FIELDS}, stored in
 * peft_tfjs.json) and the top-level fields of adapter_config.json (such as HF PEFT's LoRA fields).
 */
export interface AdapterConfigFile {
  /** Always "@peft"; tells our files from others. */
  readonly peft_library: '@peft';
  /** 2: metadata in peft_tfjs.json; 1 (read only): metadata inside adapter_config.json. */
  readonly format_version: 1 | 2;
  readonly peft_method: MethodDescriptor;
  readonly model_spec: ModelSpec;
  readonly [extra: string]: unknown;
}

export interface AdapterContents {
  readonly config: AdapterConfigFile;
  /** Owned by the caller: dispose them. */
  readonly tensors: Record<string, tf.Tensor>;
}

/**
 * The files of an adapter, in memory: the text of adapter_config.json, of peft_tfjs.json (@peft's metadata) and the
 * bytes of adapter_model.safetensors.
 */
export interface AdapterBytes {
  readonly configText: string;
  readonly metadataText: string;
  readonly weights: Uint8Array;
}

/** Splits a config into peft_tfjs.json's fields and adapter_config.json's (everything else). */
function splitConfig(config: AdapterConfigFile): { metadata: Record<string, unknown>; hf: Record<string, unknown> } {
  const metadata: Record<string, unknown> = {};
  const hf: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) ((ADAPTER_METADATA_FIELDS as readonly string[]).includes(k) ? metadata : hf)[k] = v;
  return { metadata: { ...metadata, format_version: 2 }, hf };
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
  const { metadata, hf } = splitConfig(config);
  return {
    configText: JSON.stringify(hf, null, 2) + '\n',
    metadataText: JSON.stringify(metadata, null, 2) + '\n',
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

/**
 * {@link writeAdapterFiles} for files already serialised: the weights first, then the metadata, then the config, each
 * atomically.
 */
export async function writeAdapterBytes(dir: string, files: AdapterBytes): Promise<void> {
  const { join } = await import('node:path');
  const { writeFileAtomic } = await import('./atomic.js');
  await writeFileAtomic(join(dir, ADAPTER_WEIGHTS_FILE), files.weights);
  await writeFileAtomic(join(dir, ADAPTER_METADATA_FILE), files.metadataText);
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
  const metaPath = join(dir, ADAPTER_METADATA_FILE);
  let metadataText: string | undefined;
  try {
    metadataText = await readFile(metaPath, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    metadataText = undefined; // an adapter of format 1 (metadata inside adapter_config.json) or not @peft's
  }
  const names = { config: cfgPath, weights: join(dir, ADAPTER_WEIGHTS_FILE), metadata: metaPath };
  parseAdapterConfig(text, metadataText, names); // a bad config is reported before the weights are read
  const wPath = join(dir, ADAPTER_WEIGHTS_FILE);
  let buf: Buffer;
  try {
    buf = await readFile(wPath);
  } catch {
    throw new CheckpointError('E_MISSING_FILE', wPath, 'adapter weights file is missing');
  }
  return parseAdapterFiles(text, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), names, metadataText);
}

/** The names of an adapter's files in errors. */
export interface AdapterFileNames {
  readonly config: string;
  readonly weights: string;
  readonly metadata?: string;
}

/**
 * Parses an adapter from memory (e.g. `fetch` responses in a browser): the text of adapter_config.json, the bytes of
 * adapter_model.safetensors and the text of peft_tfjs.json (undefined for an adapter written by an @peft older than
 * format 2, which kept its metadata inside adapter_config.json). `names` label them in errors.
 */
export function parseAdapterFiles(
  configText: string,
  weights: Uint8Array,
  names: AdapterFileNames = { config: ADAPTER_CONFIG_FILE, weights: ADAPTER_WEIGHTS_FILE },
  metadataText?: string,
): AdapterContents {
  const config = parseAdapterConfig(configText, metadataText, names);
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

function parseJsonObject(text: string, path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError('E_BAD_JSON', path, `not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CheckpointError('E_BAD_JSON', path, 'not a JSON object');
  return v as Record<string, unknown>;
}

/** adapter_config.json and peft_tfjs.json as one object; format 1 (no peft_tfjs.json) has it all in adapter_config.json. */
function parseAdapterConfig(text: string, metadataText: string | undefined, names: AdapterFileNames): AdapterConfigFile {
  const hf = parseJsonObject(text, names.config);
  const metaPath = names.metadata ?? ADAPTER_METADATA_FILE;
  const metadata = metadataText === undefined ? hf : parseJsonObject(metadataText, metaPath);
  const where = metadataText === undefined ? names.config : metaPath;
  if (metadata.peft_library !== '@peft' || !metadata.peft_method || !metadata.model_spec) {
    throw new CheckpointError(
      'E_NOT_PEFT_ADAPTER',
      where,
      metadataText === undefined
        ? `no ${ADAPTER_METADATA_FILE} beside it and no 'peft_library', 'peft_method', 'model_spec' in it: not written by @peft (for Hugging Face PEFT adapters use @peft/lora's importHuggingFaceLora or @peft/prefix's importHuggingFacePrefix)`
        : "lacks 'peft_library', 'peft_method' or 'model_spec'",
    );
  }
  if (metadata.format_version !== 1 && metadata.format_version !== 2) {
    throw new CheckpointError('E_ADAPTER_FORMAT', where, `format_version ${JSON.stringify(metadata.format_version)} is not one this @peft reads (1, 2)`);
  }
  return { ...hf, ...metadata } as AdapterConfigFile;
}

/** Throws {@link AdapterMismatchError} unless `found` describes the same model shape as `expected`. */
export function checkSpecMatches(path: string, expected: ModelSpec, found: ModelSpec): void {
  for (const f of SPEC_IDENTITY_FIELDS) {
    if (expected[f] !== found[f]) throw new AdapterMismatchError(path, `model_spec.${f}`, expected[f], found[f]);
  }
}
