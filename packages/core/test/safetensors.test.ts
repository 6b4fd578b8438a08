import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  DTYPE_BYTES,
  SafetensorsDtypeError,
  SafetensorsGapError,
  SafetensorsHeaderError,
  SafetensorsHeaderTooLongError,
  SafetensorsOverlapError,
  SafetensorsShapeMismatchError,
  SafetensorsTruncatedError,
  bf16ToF32,
  entryToTensor,
  entryToTypedArray,
  f16ToF32,
  parseSafetensors,
  readSafetensorsFile,
  serializeSafetensors,
  tensorsToEntries,
  typedArrayToEntry,
  writeSafetensorsFile,
  type SafetensorsDtype,
  type SafetensorsEntry,
} from '@peft/core';
import { describe, expect, it, onTestFinished } from 'vitest';

/** A raw safetensors file from a header object and a data section, for writing corrupt files by hand. */
function rawFile(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bytes(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

describe('safetensors round trips', () => {
  it('is bit-exact for every dtype, raw bytes in and out', () => {
    const dtypes = Object.keys(DTYPE_BYTES) as SafetensorsDtype[];
    const entries = new Map<string, SafetensorsEntry>();
    for (const [i, dtype] of dtypes.entries()) {
      const shape = [2, 3 + i];
      entries.set(`t.${dtype}`, { dtype, shape, data: bytes(shape[0]! * shape[1]! * DTYPE_BYTES[dtype], i + 1) });
    }
    const file = serializeSafetensors(entries, { format: 'pt' });
    const parsed = parseSafetensors(file);
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect([...parsed.tensors.keys()].sort()).toEqual([...entries.keys()].sort());
    for (const [name, e] of entries) {
      const got = parsed.tensors.get(name)!;
      expect(got.dtype).toBe(e.dtype);
      expect(got.shape).toEqual(e.shape);
      expect(Buffer.from(got.data).equals(Buffer.from(e.data))).toBe(true);
    }
    // re-serialising the parsed file gives the same bytes
    expect(Buffer.from(serializeSafetensors(parsed.tensors, parsed.metadata)).equals(Buffer.from(file))).toBe(true);
  });

  it('decodes and re-encodes every non-NaN F16 and BF16 bit pattern exactly', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const codes = new Uint16Array(65536).map((_, i) => i);
      const finite = codes.filter((c) => !Number.isNaN(dtype === 'F16' ? f16ToF32(c) : bf16ToF32(c)));
      const entry: SafetensorsEntry = { dtype, shape: [finite.length], data: new Uint8Array(finite.buffer) };
      const values = entryToTypedArray(entry) as Float32Array;
      const back = typedArrayToEntry(values, [finite.length], dtype);
      expect(Buffer.from(back.data).equals(Buffer.from(entry.data))).toBe(true);
    }
  });

  it('decodes known values: F16 1.0 = 0x3c00, BF16 −2.0 = 0xc000, I64 → int32, F64 → float32', () => {
    const e16 = { dtype: 'F16' as const, shape: [2], data: new Uint8Array(new Uint16Array([0x3c00, 0x7bff]).buffer) };
    expect(Array.from(entryToTypedArray(e16))).toEqual([1, 65504]);
    const ebf = { dtype: 'BF16' as const, shape: [1], data: new Uint8Array(new Uint16Array([0xc000]).buffer) };
    expect(Array.from(entryToTypedArray(ebf))).toEqual([-2]);
    const i64 = typedArrayToEntry(new Int32Array([0, -1, 2147483647]), [3], 'I64');
    const t = entryToTensor(i64);
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.dataSync())).toEqual([0, -1, 2147483647]);
    t.dispose();
    const big = { dtype: 'I64' as const, shape: [1], data: new Uint8Array(new BigInt64Array([2n ** 40n]).buffer) };
    expect(() => entryToTypedArray(big, 'ids', 'f.safetensors')).toThrow(SafetensorsDtypeError);
  });

  it('writes F32 from tensors unless asked, F16 when asked, atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const w = tf.tensor2d([[1.5, -2], [3.25, 1e-3]]);
    const ids = tf.tensor1d([5, 7], 'int32');
    await writeSafetensorsFile(join(dir, 'a.safetensors'), await tensorsToEntries({ w, ids }));
    await writeSafetensorsFile(join(dir, 'b.safetensors'), await tensorsToEntries({ w }, 'F16'));
    expect(readdirSync(dir).sort()).toEqual(['a.safetensors', 'b.safetensors']); // no temp files left
    const a = await readSafetensorsFile(join(dir, 'a.safetensors'));
    expect(a.tensors.get('w')!.dtype).toBe('F32');
    expect(a.tensors.get('ids')!.dtype).toBe('I64');
    expect(Array.from(entryToTypedArray(a.tensors.get('w')!))).toEqual(Array.from(w.dataSync()));
    const b = await readSafetensorsFile(join(dir, 'b.safetensors'));
    expect(b.tensors.get('w')!.dtype).toBe('F16');
    expect(Array.from(entryToTypedArray(b.tensors.get('w')!))[3]).toBeCloseTo(1e-3, 6);
    tf.dispose([w, ids]);
  });
});

describe('safetensors validation: each corruption has its own error naming file and tensor', () => {
  const good = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };

  it('accepts the well-formed file these cases start from', () => {
    expect(parseSafetensors(rawFile(good, bytes(12)), 'ok.st').tensors.size).toBe(2);
  });
  it('a file shorter than 8 bytes', () => {
    expect(() => parseSafetensors(new Uint8Array(5), 'short.st')).toThrow(SafetensorsTruncatedError);
  });
  it('a header longer than the file', () => {
    const f = rawFile(good, bytes(12), 10_000);
    expect(() => parseSafetensors(f, 'long.st')).toThrow(SafetensorsHeaderTooLongError);
    expect(() => parseSafetensors(f, 'long.st')).toThrow(/long\.st/);
  });
  it('data cut short (truncated file)', () => {
    const f = rawFile(good, bytes(10));
    const err = catchErr(() => parseSafetensors(f, 'cut.st'));
    expect(err).toBeInstanceOf(SafetensorsTruncatedError);
    expect((err as SafetensorsTruncatedError).tensor).toBe('b');
  });
  it('overlapping offsets', () => {
    const h = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    const err = catchErr(() => parseSafetensors(rawFile(h, bytes(12)), 'ov.st'));
    expect(err).toBeInstanceOf(SafetensorsOverlapError);
    expect((err as Error).message).toMatch(/ov\.st.*'b'.*'a'/);
  });
  it('a gap between tensors, a gap at the start, trailing bytes', () => {
    const gap = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
    expect(() => parseSafetensors(rawFile(gap, bytes(12)), 'gap.st')).toThrow(SafetensorsGapError);
    const start = { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
    expect(() => parseSafetensors(rawFile(start, bytes(8)), 'gap.st')).toThrow(SafetensorsGapError);
    expect(() => parseSafetensors(rawFile(good, bytes(16)), 'tail.st')).toThrow(SafetensorsGapError);
  });
  it('a shape that does not match the byte length', () => {
    const h = { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } };
    const err = catchErr(() => parseSafetensors(rawFile(h, bytes(8)), 'shape.st'));
    expect(err).toBeInstanceOf(SafetensorsShapeMismatchError);
    expect((err as Error).message).toMatch(/shape\.st \[tensor 'a'\].*\[3\].*12 bytes.*8/);
  });
  it('an unknown dtype', () => {
    const h = { a: { dtype: 'F8_E4M3X', shape: [8], data_offsets: [0, 8] } };
    const err = catchErr(() => parseSafetensors(rawFile(h, bytes(8)), 'dt.st'));
    expect(err).toBeInstanceOf(SafetensorsDtypeError);
    expect((err as SafetensorsDtypeError).tensor).toBe('a');
  });
  it('a header that is not JSON, or entries of the wrong form', () => {
    const f = rawFile(good, bytes(12));
    f[9] = 0x7b; // break the JSON
    f[10] = 0x7b;
    expect(() => parseSafetensors(f, 'json.st')).toThrow(SafetensorsHeaderError);
    const h = { a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } };
    expect(() => parseSafetensors(rawFile(h, bytes(8)), 'off.st')).toThrow(SafetensorsHeaderError);
  });
  it('reads a file from disk with its path in the error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const p = join(dir, 'broken.safetensors');
    writeFileSync(p, rawFile(good, bytes(10)));
    await expect(readSafetensorsFile(p)).rejects.toThrow(p);
    expect(readFileSync(p).length).toBeGreaterThan(8);
  });
});

function catchErr(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
