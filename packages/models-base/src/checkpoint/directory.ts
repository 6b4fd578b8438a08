import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError,
  MissingTensorError,
  SafetensorsTruncatedError,
  TensorShapeMismatchError,
  finiteEntryToTensor,
  parseSafetensors,
  readSafetensorsLayout,
  sameShape,
  toFileSystemError,
  type SafetensorsEntry,
  type SafetensorsSpan,
} from '@peft/core';
import { MissingCheckpointFileError, TensorDtypeError, UnusedLayerTensorsError } from '../errors.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** The parsed config.json of a checkpoint directory, with its path for errors. */
export interface CheckpointConfig {
  readonly path: string;
  readonly json: Record<string, unknown>;
}

/** Reads `dir/config.json`; a missing or malformed file is a typed error naming it. */
export async function readCheckpointConfig(dir: string): Promise<CheckpointConfig> {
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const path = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new MissingCheckpointFileError('E_NO_CONFIG', path, 'no config.json here (is this a Hugging Face checkpoint directory?)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError('E_BAD_JSON', path, `not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CheckpointError('E_BAD_JSON', path, 'config.json does not hold a JSON object');
  }
  return { path, json: json as Record<string, unknown> };
}

/** Reads bytes [begin, end) of a file. */
export type ReadFileRange = (file: string, begin: number, end: number) => Uint8Array;

/** One tensor of a checkpoint: where it lies (its bytes are read when the tensor is). */
interface CheckpointSpan {
  readonly span: SafetensorsSpan;
  readonly file: string;
}

/**
 * The tensors of a checkpoint by name, each with the file it is in. Nothing is read or decoded until asked: each
 * tensor's bytes are read from its file when it is (so a checkpoint is never held whole in memory beside the tensors
 * made from it).
 */
export class CheckpointTensors {
  private readonly used = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly entries: Map<string, CheckpointSpan>,
    private readonly readRange: ReadFileRange,
  ) {}

  /** A tensor's entry, its bytes read now. */
  private load(name: string): { entry: SafetensorsEntry; file: string } {
    const { span, file } = this.entries.get(name)!;
    return { entry: { dtype: span.dtype, shape: span.shape, data: this.readRange(file, span.begin, span.end) }, file };
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The first of `candidates` that the checkpoint holds, or undefined. */
  resolve(candidates: readonly string[]): string | undefined {
    return candidates.find((c) => this.entries.has(c));
  }

  /**
   * Decodes a float tensor as float32 (F16/BF16/F64 upcast), checking that it exists, is a float, has `shape` and
   * holds only finite values (a NaN or ±Infinity is a NonFiniteTensorError naming the file and tensor).
   * `candidates` are the accepted names (with and without a prefix); errors name the first.
   */
  float(candidates: readonly string[], shape: readonly number[]): tf.Tensor {
    const name = this.resolve(candidates);
    if (name === undefined) throw new MissingTensorError(this.describe(), candidates[0]!);
    const { span, file } = this.entries.get(name)!;
    if (!FLOAT_DTYPES.has(span.dtype)) throw new TensorDtypeError(file, name, 'a float (F32, F16, BF16 or F64)', span.dtype);
    if (!sameShape(span.shape, shape)) throw new TensorShapeMismatchError(file, name, shape, span.shape);
    this.used.add(name);
    return finiteEntryToTensor(this.load(name).entry, name, file);
  }

  /** Marks tensors as deliberately ignored (buffers, tied heads), so they are not reported as unused. */
  ignore(name: string): void {
    if (this.entries.has(name)) this.used.add(name);
  }

  /** The entry of a tensor (its bytes read now), for checks of buffers. */
  entry(name: string): SafetensorsEntry | undefined {
    return this.entries.has(name) ? this.load(name).entry : undefined;
  }

  /** Names never read or ignored: what the checkpoint holds that the model does not use. */
  unused(): string[] {
    return this.names().filter((n) => !this.used.has(n));
  }

  /**
   * Throws {@link UnusedLayerTensorsError} when the checkpoint holds weights of a layer the config does not count
   * (`layer` matches a name's layer index as its first group): config.json's layer count (`field`, `layers`) is then
   * below the weights', and the model would quietly train a part of them. Checked before any tensor is decoded.
   */
  assertNoExtraLayers(configPath: string, field: string, layers: number, layer: RegExp): void {
    const layerOf = (name: string) => {
      const m = layer.exec(name);
      return m ? Number(m[1]) : -1;
    };
    const extra = this.names().filter((n) => layerOf(n) >= layers);
    if (!extra.length) return;
    const held = Math.max(...extra.map(layerOf)) + 1;
    throw new UnusedLayerTensorsError(this.describe(), extra, `${configPath}: ${field}`, layers, held);
  }

  private describe(): string {
    const files = [...new Set([...this.entries.values()].map((e) => e.file))];
    return files.length === 1 ? files[0]! : `${this.dir} (${files.length} safetensors shards)`;
  }
}

/**
 * The tensors of a checkpoint whose safetensors files are already in memory (a browser's fetched bytes): the
 * counterpart of {@link readCheckpointTensors}, with the same checks. `files` maps each file's name (for errors) to
 * its bytes.
 */
export function checkpointTensorsFromBytes(dir: string, files: ReadonlyMap<string, Uint8Array>): CheckpointTensors {
  const entries = new Map<string, CheckpointSpan>();
  for (const [file, bytes] of files) {
    for (const [name, e] of parseSafetensors(bytes, file).tensors) {
      const begin = e.data.byteOffset - bytes.byteOffset;
      entries.set(name, { span: { dtype: e.dtype, shape: e.shape, begin, end: begin + e.data.byteLength }, file });
    }
  }
  return new CheckpointTensors(dir, entries, (file, begin, end) => files.get(file)!.subarray(begin, end));
}

/**
 * Opens the weights of a checkpoint directory: `model.safetensors`, or the shards listed by
 * `model.safetensors.index.json`. A directory with only PyTorch `.bin` weights, or none, is a typed error.
 */
export async function readCheckpointTensors(dir: string): Promise<CheckpointTensors> {
  const { join } = await import('node:path');
  const { readFile, readdir } = await import('node:fs/promises');
  const entries = new Map<string, CheckpointSpan>();
  const single = join(dir, WEIGHTS_FILE);
  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  const listing = await readdir(dir).catch(() => [] as string[]);
  let files: string[];
  if (listing.includes(WEIGHTS_FILE)) {
    files = [single];
  } else if (listing.includes(WEIGHTS_INDEX_FILE)) {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readFile(indexPath, 'utf8')) as typeof index;
    } catch (e) {
      throw new CheckpointError('E_BAD_JSON', indexPath, `not valid JSON (${(e as Error).message})`);
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new CheckpointError('E_BAD_JSON', indexPath, "lacks the 'weight_map' object");
    }
    const shards = new Set(Object.values(index.weight_map));
    for (const f of shards) {
      if (typeof f !== 'string' || f === '' || f.includes('/') || f.includes('\\')) {
        throw new CheckpointError('E_BAD_JSON', indexPath, `weight_map names ${JSON.stringify(f)} as a shard; a shard is a file name in ${dir}`);
      }
    }
    files = [...shards].sort().map((f) => join(dir, f));
  } else {
    const torch = listing.filter((f) => f.endsWith('.bin') || f.endsWith('.pt') || f.endsWith('.h5'));
    throw new MissingCheckpointFileError(
      'E_NO_WEIGHTS',
      single,
      torch.length
        ? `no safetensors weights here, only ${torch.join(', ')}; convert them to model.safetensors first`
        : 'no model.safetensors (or model.safetensors.index.json) here',
    );
  }
  const { existsSync } = await import('node:fs');
  for (const file of files) {
    if (!existsSync(file)) {
      throw new MissingCheckpointFileError('E_NO_WEIGHTS', file, `is missing: ${WEIGHTS_INDEX_FILE} lists it as a shard of the weights`);
    }
    const layout = await readSafetensorsLayout(file);
    for (const [name, span] of layout.tensors) entries.set(name, { span, file });
  }
  const { openSync, readSync, closeSync } = await import('node:fs');
  const readRange: ReadFileRange = (file, begin, end) => {
    const bytes = new Uint8Array(end - begin);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw toFileSystemError(e, file, 'read');
    }
    try {
      for (let at = 0; at < bytes.length; ) {
        const got = readSync(fd, bytes, at, bytes.length - at, begin + at);
        // the header was checked against the file's size when the checkpoint was opened: it shrank since
        if (got === 0) throw new SafetensorsTruncatedError(file, undefined, `ends at byte ${begin + at}, inside bytes [${begin}, ${end}) of a tensor: was it changed while loading?`);
        at += got;
      }
    } catch (e) {
      throw e instanceof SafetensorsTruncatedError ? e : toFileSystemError(e, file, 'read');
    } finally {
      closeSync(fd);
    }
    return bytes;
  };
  return new CheckpointTensors(dir, entries, readRange);
}
