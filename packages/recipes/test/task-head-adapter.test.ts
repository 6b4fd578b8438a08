import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { AdapterMismatchError, attach, loadAdapter, readSafetensorsFile } from '@peft/core';
import { lora, importHuggingFaceLora } from '@peft/lora';
import { loadGpt2, loadRoberta, type RobertaModel } from '@peft/models-gpt2-roberta';
import { describe, expect, it, onTestFinished } from 'vitest';

const tiny = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));
const tinyGpt2 = fileURLToPath(new URL('../../../test-fixtures/tiny-gpt2', import.meta.url));

function logits(model: RobertaModel): Float32Array {
  return tf.tidy(() => {
    const { hidden } = model.forward({ inputIds: tf.tensor2d([[0, 31, 42, 7, 2]], [1, 5], 'int32') });
    return model.classify(hidden).dataSync() as Float32Array;
  });
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'peft-head-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe("the task head travels with the adapter (Hugging Face PEFT's modules_to_save)", () => {
  it('is saved as base_model.model.classifier.* with modules_to_save, and a model with another head gets it back', async () => {
    const model = await loadRoberta(tiny, { numLabels: 3, seed: 5 }); // the recipes' random frozen head of seed 5
    const tuned = attach(model, lora({ sites: ['attn.q', 'attn.v'], rank: 2, alpha: 4 }), { seed: 1 });
    for (const [, v] of tuned.instance.params.entries()) v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.2, 'float32', 3)));
    const want = logits(model);
    const dir = tempDir();
    await tuned.save(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_CLS', modules_to_save: ['classifier'] });
    const file = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
    const d = model.config.hiddenSize;
    expect(file.tensors.get('base_model.model.classifier.dense.weight')!.shape).toEqual([d, d]);
    expect(file.tensors.get('base_model.model.classifier.out_proj.weight')!.shape).toEqual([3, d]);
    expect(file.tensors.get('base_model.model.classifier.out_proj.bias')!.shape).toEqual([3]);

    // another seed's head, even another number of classes: the adapter's head replaces it
    const other = await loadRoberta(tiny, { numLabels: 2, seed: 9 });
    const before = tf.memory().numTensors;
    const loaded = await loadAdapter(dir, other);
    expect(other.numLabels).toBe(3);
    expect(tf.memory().numTensors).toBe(before + loaded.instance.params.size); // the old head was freed
    const got = logits(other);
    expect(Array.from(got)).toEqual(Array.from(want));
    // the Hugging Face importer hands the same head back
    const imported = await importHuggingFaceLora(dir, model.spec);
    expect(imported.taskHead!.module).toBe('classifier');
    expect(imported.taskHead!.tensors['out_proj.weight']!.shape).toEqual([3, d]);
    const third = await loadRoberta(tiny, { numLabels: 2, seed: 11 });
    third.taskHead.replace(imported.taskHead!.tensors, dir);
    tf.dispose(Object.values(imported.taskHead!.tensors));
    third.useMethod(imported.instance);
    expect(Array.from(logits(third))).toEqual(Array.from(want));
    imported.instance.dispose();
    tuned.dispose();
    loaded.dispose();
    for (const m of [model, other, third]) m.dispose();
  });

  it('an adapter of an older @peft (no head in it) keeps the model head; a head for a model without one is refused', async () => {
    const model = await loadRoberta(tiny, { numLabels: 2, seed: 5 });
    const tuned = attach(model, lora({ sites: ['attn.q'], rank: 2 }), { seed: 1 });
    const dir = tempDir();
    await tuned.save(dir);
    // rewrite it as format 1 did: no head tensors, metadata inside adapter_config.json
    const meta = JSON.parse(readFileSync(join(dir, 'peft_tfjs.json'), 'utf8'));
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    const file = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
    const { writeSafetensorsFile } = await import('@peft/core');
    await writeSafetensorsFile(join(dir, 'adapter_model.safetensors'), new Map([...file.tensors].filter(([k]) => !k.includes('classifier'))), { format: 'pt' });
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, modules_to_save: null, ...meta, format_version: 1 }));
    rmSync(join(dir, 'peft_tfjs.json'));
    const same = await loadRoberta(tiny, { numLabels: 2, seed: 5 });
    const want = logits(model);
    const loaded = await loadAdapter(dir, same);
    expect(Array.from(logits(same))).toEqual(Array.from(want));
    loaded.dispose();
    tuned.dispose();

    // a RoBERTa adapter with its head, loaded into GPT-2 (same shape fields faked): modules_to_save is named
    const dir2 = tempDir();
    const t2 = attach(model, lora({ sites: ['attn.q'], rank: 2 }), { seed: 1 });
    await t2.save(dir2);
    t2.dispose();
    const gpt2 = await loadGpt2(tinyGpt2);
    const meta2 = JSON.parse(readFileSync(join(dir2, 'peft_tfjs.json'), 'utf8'));
    writeFileSync(join(dir2, 'peft_tfjs.json'), JSON.stringify({ ...meta2, model_spec: gpt2.spec }));
    const err = await loadAdapter(dir2, gpt2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterMismatchError);
    expect((err as AdapterMismatchError).field).toBe('modules_to_save');
    for (const m of [model, same, gpt2]) m.dispose();
  });
});
