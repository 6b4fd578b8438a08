import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  EVAL_CONTEXT,
  loadAdapter,
  readSafetensorsFile,
  typedArrayToEntry,
  writeSafetensorsFile,
  entryToTypedArray,
  type LinearSite,
  type MethodInstance,
  type ModelSpec,
  type TunableModel,
  attach,
} from '@peft/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { importHuggingFacePrefix, prefix, type PrefixInstance } from '@peft/prefix';
import { gpt2Spec } from '@peft/models-gpt2-roberta';

const TINY: ModelSpec = gpt2Spec({ nLayer: 3, nEmbd: 8, nHead: 2, nInner: 32, vocabSize: 50257 });

/** A model with no weights: holds the installed method, nothing else. */
class HooksOnly implements TunableModel {
  instance: MethodInstance | null = null;
  constructor(readonly spec: ModelSpec) {}
  useMethod(i: MethodInstance | null): void { this.instance = i; }
  baseParameterCount(): number { return 1; }
  getLinearKernel(_l: number, _s: LinearSite): tf.Tensor2D { throw new Error('none'); }
  setLinearKernel(): void {}
  getLinearBias(): undefined { return undefined; }
  setLinearBias(): void {}
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'peft-prefix-hf-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function prefixesOf(inst: PrefixInstance): number[][] {
  return Array.from({ length: TINY.numLayers }, (_, l) => {
    const { keys, values } = inst.layerPrefix(l, EVAL_CONTEXT);
    const out = [...keys.dataSync(), ...values.dataSync()];
    tf.dispose([keys, values]);
    return out;
  });
}

describe("prefix-tuning in Hugging Face PEFT's PREFIX_TUNING layout", () => {
  it('saves the reparameterised prefixes as prompt_embeddings [L, n·2·d] with PrefixTuningConfig fields, and loads them back', async () => {
    const model = new HooksOnly(TINY);
    const tuned = attach(model, prefix({ length: 3, midDim: 6 }), { seed: 4 });
    const dir = tempDir();
    await tuned.save(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toEqual({
      peft_type: 'PREFIX_TUNING', task_type: 'CAUSAL_LM', base_model_name_or_path: null, revision: null, inference_mode: true,
      num_virtual_tokens: 3, token_dim: 8, num_transformer_submodules: 1, num_attention_heads: 2, num_layers: 3,
      encoder_hidden_size: 6, prefix_projection: false,
    });
    const file = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
    expect([...file.tensors.keys()]).toEqual(['prompt_embeddings']);
    expect(file.tensors.get('prompt_embeddings')!.shape).toEqual([3, 3 * 2 * 8]);
    // PEFT's view: row i as [n·2, H, p]; index 2ℓ + kv is layer ℓ's keys (kv 0) or values (kv 1)
    const emb = entryToTypedArray(file.tensors.get('prompt_embeddings')!);
    const { keys, values } = (tuned.instance as PrefixInstance).layerPrefix(2, EVAL_CONTEXT); // [H, L, p]
    const [k, v] = [keys.arraySync() as number[][][], values.arraySync() as number[][][]];
    for (const [i, h, p] of [[0, 0, 0], [2, 1, 3], [1, 1, 2]]) {
      expect(emb[i! * 48 + ((2 * 2 + 0) * 2 + h!) * 4 + p!]).toBeCloseTo(k[h!]![i!]![p!]!, 6);
      expect(emb[i! * 48 + ((2 * 2 + 1) * 2 + h!) * 4 + p!]).toBeCloseTo(v[h!]![i!]![p!]!, 6);
    }
    tf.dispose([keys, values]);
    const loaded = await loadAdapter(dir, new HooksOnly(TINY));
    expect(prefixesOf(loaded.instance as PrefixInstance)).toEqual(prefixesOf(tuned.instance as PrefixInstance));
    const imported = await importHuggingFacePrefix(dir, TINY);
    expect(prefixesOf(imported.instance)).toEqual(prefixesOf(tuned.instance as PrefixInstance));
    imported.instance.dispose();
    loaded.dispose();
    tuned.dispose();
  });

  it('loads a plain-prefix adapter of the older @peft layout (layers.{ℓ}.keys / values)', async () => {
    const tuned = attach(new HooksOnly(TINY), prefix({ length: 2, reparameterize: false }), { seed: 8 });
    const dir = tempDir();
    await tuned.save(dir);
    const old = Object.fromEntries(tuned.instance.params.entries().map(([name, v]) => [name, typedArrayToEntry(v.dataSync() as Float32Array, v.shape, 'F32')]));
    await writeSafetensorsFile(join(dir, 'adapter_model.safetensors'), old, { format: 'pt' });
    const loaded = await loadAdapter(dir, new HooksOnly(TINY));
    expect(prefixesOf(loaded.instance as PrefixInstance)).toEqual(prefixesOf(tuned.instance as PrefixInstance));
    loaded.dispose();
    tuned.dispose();
  });

  it('refuses a PEFT prefix adapter for another base, naming the field', async () => {
    const dir = tempDir();
    const base = { peft_type: 'PREFIX_TUNING', task_type: 'CAUSAL_LM', num_virtual_tokens: 2, token_dim: 8, num_attention_heads: 2, num_layers: 3, num_transformer_submodules: 1 };
    await writeSafetensorsFile(join(dir, 'adapter_model.safetensors'), { prompt_embeddings: typedArrayToEntry(new Float32Array(2 * 48), [2, 48], 'F16') }, { format: 'pt' });
    for (const [field, value] of [['token_dim', 16], ['num_layers', 12], ['num_attention_heads', 4], ['num_transformer_submodules', 2], ['num_virtual_tokens', 0], ['peft_type', 'LORA']] as const) {
      writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...base, [field]: value }));
      const err = await importHuggingFacePrefix(dir, TINY).catch((e: unknown) => e);
      expect(err, field).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
    }
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...base, num_virtual_tokens: 3 })); // the tensor has 2 rows
    await expect(importHuggingFacePrefix(dir, TINY)).rejects.toThrow(/prompt_embeddings' has shape \[2, 48\], expected \[3, 48\]/);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(base)); // F16 is read as float32
    const ok = await importHuggingFacePrefix(dir, TINY);
    expect(ok.instance.params.get('layers.0.keys').dtype).toBe('float32');
    ok.instance.dispose();
  });
});
