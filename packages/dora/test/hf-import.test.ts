// importHuggingFaceDora and DoRA's own adapter files: what is refused, each with a typed error naming the field or tensor.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AdapterMismatchError,
  ConfigError,
  MissingTensorError,
  TensorShapeMismatchError,
  readSafetensorsFile,
  typedArrayToEntry,
  writeSafetensorsFile,
  type SafetensorsEntry,
} from '@peft/core';
import { importHuggingFaceLora } from '@peft/lora';
import { importHuggingFaceDora } from '../src/index.js';
import { GOLDEN_DIR, loadBase } from './interop-cases.js';

const work = mkdtempSync(join(tmpdir(), 'peft-dora-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const FIXTURE = join(GOLDEN_DIR, 'theirs-gpt2-c-attn-c-fc'); // PEFT's DoRA on c_attn and c_fc, r = 2, 2 layers
const C_ATTN_1 = 'base_model.model.transformer.h.1.attn.c_attn.lora_magnitude_vector';

let n = 0;
/** A copy of the fixture with its config and tensors edited. */
async function variant(edit: { config?: Record<string, unknown>; tensors?: (t: Map<string, SafetensorsEntry>) => void }): Promise<string> {
  const dir = join(work, `v${n++}`);
  cpSync(FIXTURE, dir, { recursive: true });
  const cfgPath = join(dir, 'adapter_config.json');
  writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), ...edit.config }));
  if (edit.tensors) {
    const file = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
    const tensors = new Map(file.tensors);
    edit.tensors(tensors);
    await writeSafetensorsFile(join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
  }
  return dir;
}

describe('importHuggingFaceDora refuses what is not a DoRA of this model', () => {
  it('a plain LoRA (use_dora false), naming the field; and @peft/lora refuses a DoRA, naming @peft/dora', async () => {
    const model = await loadBase('gpt2');
    const plain = await variant({ config: { use_dora: false } });
    const e1 = await importHuggingFaceDora(plain, model.spec).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(AdapterMismatchError);
    expect((e1 as AdapterMismatchError).field).toBe('use_dora');
    const e2 = await importHuggingFaceLora(FIXTURE, model.spec).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(AdapterMismatchError);
    expect((e2 as Error).message).toMatch(/@peft\/dora/);
    model.dispose();
  });

  it('a missing, misshapen or extra magnitude vector, naming the tensor', async () => {
    const model = await loadBase('gpt2');
    const missing = await variant({ tensors: (t) => t.delete(C_ATTN_1) });
    const e1 = await importHuggingFaceDora(missing, model.spec).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(MissingTensorError);
    expect((e1 as Error).message).toContain(C_ATTN_1);
    const short = await variant({ tensors: (t) => t.set(C_ATTN_1, typedArrayToEntry(new Float32Array(64).fill(1), [64], 'F32')) });
    const e2 = await importHuggingFaceDora(short, model.spec).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(TensorShapeMismatchError);
    expect((e2 as Error).message).toMatch(/\[64\], expected \[96\]/);
    const extraKey = 'base_model.model.transformer.h.0.mlp.c_proj.lora_magnitude_vector';
    const extra = await variant({ tensors: (t) => t.set(extraKey, typedArrayToEntry(new Float32Array(32).fill(1), [32], 'F32')) });
    const e3 = await importHuggingFaceDora(extra, model.spec).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(AdapterMismatchError);
    expect((e3 as AdapterMismatchError).field).toBe(extraKey);
    model.dispose();
  });

  it('an instance refuses a file of another DoRA config (its own files go through importTensors)', async () => {
    const model = await loadBase('gpt2');
    const { instance } = await importHuggingFaceDora(FIXTURE, model.spec);
    const { tensors } = instance.exportTensors!();
    const key = 'base_model.model.transformer.h.0.mlp.c_fc.lora_magnitude_vector';
    const { [key]: dropped, ...rest } = tensors;
    expect(() => instance.importTensors!(rest, 'x.safetensors')).toThrow(MissingTensorError);
    const stray = { ...tensors, 'base_model.model.transformer.h.0.attn.c_proj.lora_magnitude_vector': dropped! };
    expect(() => instance.importTensors!(stray, 'x.safetensors')).toThrow(ConfigError);
    Object.values(tensors).forEach((t) => t.dispose());
    instance.dispose();
    model.dispose();
  });

  it('leaks no tensors, imported or refused', async () => {
    const model = await loadBase('gpt2');
    const before = tf.memory().numTensors;
    const { instance } = await importHuggingFaceDora(FIXTURE, model.spec);
    expect(tf.memory().numTensors).toBe(before + instance.params.size);
    instance.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const short = await variant({ tensors: (t) => t.set(C_ATTN_1, typedArrayToEntry(new Float32Array(64).fill(1), [64], 'F32')) });
    await expect(importHuggingFaceDora(short, model.spec)).rejects.toBeInstanceOf(TensorShapeMismatchError);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
