import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  NonFiniteTensorError,
  SafetensorsDtypeError,
  SafetensorsGapError,
  SafetensorsHeaderError,
  SafetensorsHeaderTooLongError,
  SafetensorsOverlapError,
  SafetensorsShapeMismatchError,
  SafetensorsTruncatedError,
  toFileSystemError,
} from './errors.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`, then the data, offsets relative to
 * its start. The reader validates the whole header before it touches any data.
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** One tensor as stored: its dtype, shape and raw little-endian bytes (a view, not a copy, when read). */
export interface SafetensorsEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

export interface SafetensorsFile {
  readonly tensors: Map<string, SafetensorsEntry>;
  readonly metadata: Record<string, string>;
}

/** One tensor of a safetensors file as its header places it: dtype, shape and bytes [begin, end) of the data section. */
export interface SafetensorsSpan {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/**
 * Validates a safetensors header (the JSON bytes after the 8-byte length) against a data section of `dataLength`
 * bytes: every entry's dtype, shape and offsets, and byte ranges that tile the data exactly. `file` names it in errors.
 */
export function parseSafetensorsHeader(
  json: Uint8Array,
  dataLength: number,
  file = '<buffer>',
): { spans: Map<string, SafetensorsSpan>; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw new SafetensorsHeaderError(file, undefined, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsHeaderError(file, undefined, 'header is not a JSON object');
  }
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number; dtype: SafetensorsDtype; shape: number[] }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object') throw new SafetensorsHeaderError(file, undefined, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsHeaderError(file, undefined, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') throw new SafetensorsHeaderError(file, name, 'entry is not an object');
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      throw new SafetensorsDtypeError(file, name, String(e.dtype));
    }
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsHeaderError(file, name, `shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      throw new SafetensorsHeaderError(file, name, `data_offsets ${JSON.stringify(off)} is not [begin, end] with begin ≤ end`);
    }
    const shape = e.shape as number[];
    const want = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (off[1] - off[0] !== want) throw new SafetensorsShapeMismatchError(file, name, shape, dtype, off[1] - off[0]);
    spans.push({ name, begin: off[0], end: off[1], dtype, shape });
  }
  // The byte ranges must tile [0, dataLength) exactly: sorted, no overlap, no hole, nothing past the end.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: string | undefined;
  for (const s of spans) {
    if (s.begin < cursor) throw new SafetensorsOverlapError(file, s.name, prev!);
    if (s.begin > cursor) {
      throw new SafetensorsGapError(file, s.name, `bytes [${cursor}, ${s.begin}) before this tensor belong to no tensor`);
    }
    if (s.end > dataLength) {
      throw new SafetensorsTruncatedError(file, s.name, `data ends at byte ${dataLength}, but this tensor spans [${s.begin}, ${s.end})`);
    }
    // zero-size tensors share their begin with the next one without overlapping it
    if (s.end > s.begin) prev = s.name;
    cursor = s.end;
  }
  if (cursor < dataLength) {
    throw new SafetensorsGapError(file, undefined, `${dataLength - cursor} trailing bytes after the last tensor belong to no tensor`);
  }
  return { spans: new Map(spans.map(({ name, ...span }) => [name, span])), metadata };
}

/** Parses and validates a safetensors buffer. `file` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsFile {
  if (bytes.length < 8) {
    throw new SafetensorsTruncatedError(file, undefined, `file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) throw new SafetensorsHeaderTooLongError(file, Number(n64), bytes.length);
  const n = Number(n64);
  const dataStart = 8 + n;
  const { spans, metadata } = parseSafetensorsHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, file);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, s] of spans) tensors.set(name, { dtype: s.dtype, shape: s.shape, data: bytes.subarray(dataStart + s.begin, dataStart + s.end) });
  return { tensors, metadata };
}

/**
 * Serialises entries into safetensors bytes. Tensors are laid out in name order; the header is padded with spaces
 * to a multiple of 8 bytes, as the reference writer does, so data stays aligned.
 */
export function serializeSafetensors(
  tensors: Map<string, SafetensorsEntry> | Record<string, SafetensorsEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, e] of entries) {
    const want = e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.dtype];
    if (e.data.byteLength !== want) {
      throw new ConfigError(name, `has ${e.data.byteLength} bytes, but shape [${e.shape.join(', ')}] of ${e.dtype} needs ${want}`);
    }
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + want] };
    offset += want;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const [, e] of entries) {
    out.set(e.data, p);
    p += e.data.byteLength;
  }
  return out;
}

/** Decodes an entry to the values tfjs can hold: float32 for every float dtype, int32 for integers. */
export function entryToTypedArray(e: SafetensorsEntry, name = '<tensor>', file = '<buffer>'): Float32Array | Int32Array {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const dv = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  switch (e.dtype) {
    case 'F32': {
      if (e.data.byteOffset % 4 === 0) return new Float32Array(e.data.buffer.slice(e.data.byteOffset, e.data.byteOffset + e.data.byteLength));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bf16ToF32(dv.getUint16(i * 2, true));
      return out;
    }
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) {
          throw new SafetensorsDtypeError(file, name, `I64 value ${v} at index ${i} does not fit the int32 tfjs holds`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    }
    case 'I16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      return out;
    }
    case 'U8':
    case 'BOOL': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getUint8(i);
      return out;
    }
  }
}

/** A tfjs tensor of an entry (float32 or int32). */
export function entryToTensor(e: SafetensorsEntry, name = '<tensor>', file = '<buffer>'): tf.Tensor {
  const values = entryToTypedArray(e, name, file);
  return tf.tensor(values, e.shape as number[], values instanceof Float32Array ? 'float32' : 'int32');
}

/**
 * {@link entryToTensor} for weights a model or method will compute with: a NaN or ±Infinity anywhere (also one an F64
 * value becomes in float32) is a {@link NonFiniteTensorError} naming the file and the tensor.
 */
export function finiteEntryToTensor(e: SafetensorsEntry, name = '<tensor>', file = '<buffer>'): tf.Tensor {
  const values = entryToTypedArray(e, name, file);
  if (values instanceof Float32Array) assertFiniteValues(values, name, file);
  return tf.tensor(values, e.shape as number[], values instanceof Float32Array ? 'float32' : 'int32');
}

/** Throws {@link NonFiniteTensorError} at the first NaN or ±Infinity of `values` (tensor `name` of `file`). */
export function assertFiniteValues(values: ArrayLike<number>, name: string, file: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new NonFiniteTensorError(file, name, i, values[i]!);
  }
}

/** Encodes values into an entry of the given dtype (float → F32/F16/BF16/F64, int → I64/I32). */
export function typedArrayToEntry(
  values: Float32Array | Int32Array | Float64Array,
  shape: readonly number[],
  dtype: SafetensorsDtype = values instanceof Int32Array ? 'I64' : 'F32',
): SafetensorsEntry {
  const n = values.length;
  const data = new Uint8Array(n * DTYPE_BYTES[dtype]);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    switch (dtype) {
      case 'F32': dv.setFloat32(i * 4, v, true); break;
      case 'F64': dv.setFloat64(i * 8, v, true); break;
      case 'F16': dv.setUint16(i * 2, f32ToF16(v), true); break;
      case 'BF16': dv.setUint16(i * 2, f32ToBf16(v), true); break;
      case 'I64': dv.setBigInt64(i * 8, BigInt(Math.trunc(v)), true); break;
      case 'I32': dv.setInt32(i * 4, v, true); break;
      case 'I16': dv.setInt16(i * 2, v, true); break;
      case 'I8': dv.setInt8(i, v); break;
      case 'U8': case 'BOOL': dv.setUint8(i, v); break;
    }
  }
  return { dtype, shape: [...shape], data };
}

/**
 * Reads tensors' values and encodes them; float tensors as `floatDtype` (F32 unless asked). Asynchronous: a GPU
 * backend (WebGPU outside a browser) can only hand its data back that way.
 */
export async function tensorsToEntries(
  tensors: Record<string, tf.Tensor>,
  floatDtype: 'F32' | 'F16' | 'BF16' = 'F32',
): Promise<Map<string, SafetensorsEntry>> {
  const out = new Map<string, SafetensorsEntry>();
  for (const [name, t] of Object.entries(tensors)) {
    const values = (await t.data()) as Float32Array | Int32Array;
    out.set(name, typedArrayToEntry(values, t.shape, t.dtype === 'float32' ? floatDtype : 'I64'));
  }
  return out;
}

/** Reads and validates a safetensors file (Node). */
export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  const { readFile } = await import('node:fs/promises');
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw toFileSystemError(e, path, 'read');
  }
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

/** A safetensors file's layout: its tensors' dtypes, shapes and byte ranges in the file, and its metadata. */
export interface SafetensorsLayout {
  readonly path: string;
  /** Each tensor's span, with `begin`/`end` as absolute byte offsets in the file. */
  readonly tensors: Map<string, SafetensorsSpan>;
  readonly metadata: Record<string, string>;
}

/**
 * Reads and validates a safetensors file's header only (Node): the data stay on disk, to be read tensor by tensor
 * (a checkpoint is then never held whole beside the tensors made from it, and files over Node's 2 GiB readFile limit
 * load). The same checks as {@link readSafetensorsFile}, against the file's size.
 */
export async function readSafetensorsLayout(path: string): Promise<SafetensorsLayout> {
  const { open } = await import('node:fs/promises');
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw toFileSystemError(e, path, 'read');
  }
  try {
    const size = (await handle.stat()).size;
    if (size < 8) throw new SafetensorsTruncatedError(path, undefined, `file has ${size} bytes, fewer than the 8-byte header length`);
    const head = new Uint8Array(8);
    await handle.read(head, 0, 8, 0);
    const n64 = new DataView(head.buffer).getBigUint64(0, true);
    if (n64 > BigInt(size - 8)) throw new SafetensorsHeaderTooLongError(path, Number(n64), size);
    const n = Number(n64);
    const json = new Uint8Array(n);
    if (n > 0) await handle.read(json, 0, n, 8);
    const { spans, metadata } = parseSafetensorsHeader(json, size - 8 - n, path);
    const tensors = new Map<string, SafetensorsSpan>();
    for (const [name, s] of spans) tensors.set(name, { ...s, begin: 8 + n + s.begin, end: 8 + n + s.end });
    return { path, tensors, metadata };
  } finally {
    await handle.close();
  }
}

/** Writes a safetensors file atomically (temp file, fsync, rename) (Node). */
export async function writeSafetensorsFile(
  path: string,
  tensors: Map<string, SafetensorsEntry> | Record<string, SafetensorsEntry>,
  metadata?: Record<string, string>,
): Promise<void> {
  const { writeFileAtomic } = await import('./atomic.js');
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
