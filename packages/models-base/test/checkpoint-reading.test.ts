import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SafetensorsTruncatedError, parseSafetensors, readSafetensorsLayout, serializeSafetensors } from '@peft/core';
import { readCheckpointTensors } from '../src/index.js';

const TINY_GPT2 = new URL('../../../test-fixtures/tiny-gpt2', import.meta.url).pathname;

describe('checkpoint tensors read from disk one at a time', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), 'peft-ckpt-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('the header-only layout places every tensor where the whole-file parse does', async () => {
    const path = join(TINY_GPT2, 'model.safetensors');
    const bytes = new Uint8Array(readFileSync(path));
    const whole = parseSafetensors(bytes, path);
    const layout = await readSafetensorsLayout(path);
    expect([...layout.tensors.keys()].sort()).toEqual([...whole.tensors.keys()].sort());
    expect(layout.metadata).toEqual(whole.metadata);
    for (const [name, span] of layout.tensors) {
      const e = whole.tensors.get(name)!;
      expect(span.dtype, name).toBe(e.dtype);
      expect(span.shape, name).toEqual(e.shape);
      expect(bytes.subarray(span.begin, span.end), name).toEqual(e.data);
    }
  });

  it('decodes the same values as the file read whole', async () => {
    const tensors = await readCheckpointTensors(TINY_GPT2);
    const whole = parseSafetensors(new Uint8Array(readFileSync(join(TINY_GPT2, 'model.safetensors'))));
    const e = whole.tensors.get('h.0.attn.c_attn.weight') ?? whole.tensors.get('transformer.h.0.attn.c_attn.weight')!;
    const name = tensors.resolve(['h.0.attn.c_attn.weight', 'transformer.h.0.attn.c_attn.weight'])!;
    const t = tensors.float([name], e.shape);
    expect(Array.from(t.dataSync())).toEqual(Array.from(new Float32Array(e.data.slice().buffer)));
    expect(tensors.entry(name)!.data).toEqual(e.data);
    t.dispose();
  });

  it('a truncated file is refused when the checkpoint is opened, naming the tensor past the end', async () => {
    const d = scratch();
    copyFileSync(join(TINY_GPT2, 'config.json'), join(d, 'config.json'));
    const bytes = readFileSync(join(TINY_GPT2, 'model.safetensors'));
    writeFileSync(join(d, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    const err = await readCheckpointTensors(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafetensorsTruncatedError);
    expect((err as SafetensorsTruncatedError).file).toBe(join(d, 'model.safetensors'));
    expect((err as SafetensorsTruncatedError).tensor).toBeDefined();
    expect(String(err)).toMatch(/data ends at byte \d+, but this tensor spans/);
  });

  it('a file cut short after opening is a typed error when a tensor past the cut is read, not zeros', async () => {
    const d = scratch();
    const path = join(d, 'model.safetensors');
    writeFileSync(path, serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Uint8Array(new Float32Array([1, 2]).buffer) }, b: { dtype: 'F32', shape: [3], data: new Uint8Array(new Float32Array([3, 4, 5]).buffer) } }));
    const tensors = await readCheckpointTensors(d);
    truncateSync(path, readFileSync(path).length - 4);
    const a = tensors.float(['a'], [2]);
    expect(Array.from(a.dataSync())).toEqual([1, 2]);
    a.dispose();
    expect(() => tensors.float(['b'], [3])).toThrow(SafetensorsTruncatedError);
    expect(() => tensors.float(['b'], [3])).toThrow(/model\.safetensors: ends at byte \d+, inside bytes \[\d+, \d+\) of a tensor/);
  });
});
