// DoRA in the real models (the tiny GPT-2 and RoBERTa fixtures): exact no-op when fresh, PEFT's file layout, save and
// load, merge, and a @peft/mam mix with prefix-tuning.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, attach, loadAdapter, readSafetensorsFile, entryToTypedArray, trainingContext, type TunedModel } from '@peft/core';
import { mix } from '@peft/mam';
import { lmLoss } from '@peft/models-base';
import { loadGpt2, loadRoberta, type Gpt2Model, type RobertaModel } from '@peft/models-gpt2-roberta';
import { prefix } from '@peft/prefix';
import { inducer } from '@peft/inducer';
import { dora, magnitudeParamName, type DoraInstance } from '../src/index.js';
import { maxAbsDiff, randomise, relDiff } from './helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const TINY_GPT2_DIR = join(root, 'test-fixtures/tiny-gpt2');
const TINY_ROBERTA_DIR = join(root, 'test-fixtures/tiny-roberta');
const IDS = [5, 100, 200, 300, 656, 17, 42, 9];

const work = await mkdtemp(join(tmpdir(), 'peft-dora-'));
afterAll(() => rm(work, { recursive: true, force: true }));

function logitsOf(model: Gpt2Model | RobertaModel, ids = IDS): Float32Array {
  return tf.tidy(() => {
    const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
    const hidden = model.forward({ inputIds }).hidden;
    return ('classify' in model ? model.classify(hidden) : model.logits(hidden)).dataSync() as Float32Array;
  });
}

/** ‖W‖ per output column of a kernel [in, out]. */
function columnNormsOf(w: tf.Tensor2D): number[] {
  const a = w.arraySync();
  return a[0]!.map((_, j) => Math.sqrt(a.reduce((s, row) => s + row[j]! ** 2, 0)));
}

describe('DoRA on the tiny GPT-2', () => {
  it('fresh (B = 0): the logits are the base model’s, bit for bit', async () => {
    const model = await loadGpt2(TINY_GPT2_DIR);
    const base = logitsOf(model);
    const tuned = attach(model, dora({ sites: ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out'], rank: 4, alpha: 8 }));
    expect(Array.from(logitsOf(model))).toEqual(Array.from(base));
    tuned.dispose();
    model.dispose();
  });

  it("saves PEFT's layout: use_dora, one magnitude vector per module (c_attn's 3d long, k's slice = ‖W_k‖); loads back exactly", async () => {
    const model = await loadGpt2(TINY_GPT2_DIR);
    const base = logitsOf(model);
    const tuned = attach(model, dora({ sites: ['attn.q', 'attn.v', 'ffn.out'], rank: 2, alpha: 4 }), { seed: 3 });
    logitsOf(model); // the first pass sets m
    randomise(tuned.instance.params, 31);
    const ours = logitsOf(model);
    expect(relDiff(ours, base)).toBeGreaterThan(1e-2);
    const dir = join(work, 'gpt2-qv');
    await tuned.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', use_dora: true, fan_in_fan_out: true, r: 4, lora_alpha: 8, task_type: 'CAUSAL_LM' });
    expect(cfg.peft_method).toBeUndefined(); // @peft's own metadata is beside it, in peft_tfjs.json, as for LoRA
    const meta = JSON.parse(await readFile(join(dir, 'peft_tfjs.json'), 'utf8'));
    expect(meta).toMatchObject({ peft_library: '@peft', format_version: 2, peft_method: { type: 'dora', config: { sites: ['attn.q', 'attn.v', 'ffn.out'], rank: 2, alpha: 4 } } });
    const file = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
    const keys = [...file.tensors.keys()].sort();
    expect(keys.filter((k) => k.endsWith('lora_magnitude_vector'))).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_magnitude_vector',
      'base_model.model.transformer.h.0.mlp.c_proj.lora_magnitude_vector',
      'base_model.model.transformer.h.1.attn.c_attn.lora_magnitude_vector',
      'base_model.model.transformer.h.1.mlp.c_proj.lora_magnitude_vector',
    ]);
    expect(keys.filter((k) => !k.endsWith('lora_magnitude_vector')).every((k) => /\.lora_[AB]\.weight$/.test(k))).toBe(true);
    const cAttn = file.tensors.get('base_model.model.transformer.h.1.attn.c_attn.lora_magnitude_vector')!;
    expect(cAttn.shape).toEqual([96]);
    const mag = entryToTypedArray(cAttn);
    const inst = tuned.instance as DoraInstance;
    expect(Array.from(mag.slice(0, 32))).toEqual(Array.from(inst.magnitude(1, 'attn.q').dataSync()));
    expect(Array.from(mag.slice(64, 96))).toEqual(Array.from(inst.magnitude(1, 'attn.v').dataSync()));
    const wk = model.getLinearKernel(1, 'attn.k');
    expect(maxAbsDiff(mag.slice(32, 64), columnNormsOf(wk))).toBeLessThan(1e-6);
    wk.dispose();
    tuned.dispose();

    const again = await loadAdapter(dir, model);
    expect(again.method.type).toBe('dora');
    expect(Array.from(logitsOf(model))).toEqual(Array.from(ours));
    // re-saved without a forward pass: the k slice came from the file
    const dir2 = join(work, 'gpt2-qv-again');
    await again.save(dir2);
    expect(await readFile(join(dir2, 'adapter_model.safetensors'))).toEqual(await readFile(join(dir, 'adapter_model.safetensors')));
    again.dispose();
    model.dispose();
  });

  it('leaks nothing: passes after the first add no tensor; disposing the adapter and the model frees all', async () => {
    const start = tf.memory().numTensors;
    const model = await loadGpt2(TINY_GPT2_DIR);
    const tuned = attach(model, dora({ sites: ['attn.q', 'attn.v', 'ffn.in'], rank: 2 }));
    const inputIds = tf.tensor2d([IDS], [1, IDS.length], 'int32');
    const labels = tf.tensor2d([IDS], [1, IDS.length], 'int32');
    const pass = () => {
      logitsOf(model);
      const { value, grads } = tf.variableGrads(() => lmLoss(model, model.forward({ inputIds, ctx: trainingContext(1, 1) }).hidden, labels), tuned.trainableVariables());
      tf.dispose([value, ...Object.values(grads)]);
    };
    pass(); // keeps the fused siblings' norms (k of c_attn, per layer); the model keeps what it caches
    const after = tf.memory().numTensors;
    pass();
    pass();
    expect(tf.memory().numTensors).toBe(after);
    tf.dispose([inputIds, labels]);
    tuned.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('refuses to save before the magnitudes are set, naming the remedy; initFromWeights sets them', async () => {
    const model = await loadGpt2(TINY_GPT2_DIR);
    const tuned = attach(model, dora({ sites: ['attn.q'], rank: 2 }));
    const err = await tuned.save(join(work, 'unset')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('dora.magnitude');
    expect((err as Error).message).toMatch(/initFromWeights/);
    (tuned.instance as DoraInstance).initFromWeights(model);
    const wq = model.getLinearKernel(0, 'attn.q');
    expect(maxAbsDiff(tuned.instance.params.get(magnitudeParamName(0, 'attn.q')).dataSync(), columnNormsOf(wq))).toBeLessThan(1e-6);
    wq.dispose();
    await tuned.save(join(work, 'set'));
    tuned.dispose();
    model.dispose();
  });

  it('merge gives the hooks’ logits (float32), unmerge restores the base weights exactly', async () => {
    const model = await loadGpt2(TINY_GPT2_DIR);
    const before = model.getLinearKernel(0, 'attn.v');
    const beforeValues = before.dataSync().slice();
    before.dispose();
    const tuned = attach(model, dora({ sites: ['attn.q', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out'], rank: 3, alpha: 6 }));
    logitsOf(model);
    randomise(tuned.instance.params, 11);
    const hooked = logitsOf(model);
    tuned.merge();
    expect(relDiff(logitsOf(model), hooked)).toBeLessThan(1e-5);
    tuned.unmerge();
    const after = model.getLinearKernel(0, 'attn.v');
    expect(Array.from(after.dataSync())).toEqual(Array.from(beforeValues));
    after.dispose();
    expect(Array.from(logitsOf(model))).toEqual(Array.from(hooked));
    tuned.dispose();
    model.dispose();
  });

  it('in a @peft/mam mix with prefix-tuning: gradients reach every part, and the mix saves and loads', async () => {
    const model = await loadGpt2(TINY_GPT2_DIR);
    const tuned: TunedModel = attach(model, mix(dora({ sites: ['attn.v', 'ffn.in'], rank: 2, alpha: 4, dropout: 0.1 }), prefix({ length: 2 })), { seed: 2 });
    const inputIds = tf.tensor2d([IDS], [1, IDS.length], 'int32');
    const labels = tf.tensor2d([IDS.slice(1).concat([0])], [1, IDS.length], 'int32');
    const step = () => tf.variableGrads(() => lmLoss(model, model.forward({ inputIds, ctx: trainingContext(1, 0) }).hidden, labels), tuned.trainableVariables());
    step().value.dispose(); // sets m, then give B and m values so every gradient path is open
    randomise({ entries: () => tuned.instance.params.entries().filter(([n]) => n.startsWith('dora0.')) }, 5);
    const { value, grads } = step();
    const names = tuned.instance.params.names();
    expect(names.filter((n) => n.startsWith('dora0.') && n.endsWith('lora_magnitude_vector'))).toHaveLength(4);
    expect(names.some((n) => n.startsWith('prefix1.'))).toBe(true);
    for (const [name, v] of tuned.instance.params.entries()) {
      const g = grads[v.name];
      expect(g, name).toBeDefined();
      expect(Math.max(...Array.from(g!.dataSync()).map(Math.abs)), name).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads), inputIds, labels]);
    const ours = logitsOf(model);
    const dir = join(work, 'mix');
    await tuned.save(dir);
    tuned.dispose();
    const again = await loadAdapter(dir, model);
    expect(again.method.type).toBe('mix');
    expect(Array.from(logitsOf(model))).toEqual(Array.from(ours));
    again.dispose();
    model.dispose();
  });
});

describe('DoRA in a mix with inducer-tuning', () => {
  it('a fresh DoRA part is a no-op beside an inducer: the mix gives the inducer’s logits exactly; the DoRA part then moves them', async () => {
    const model = await loadGpt2(TINY_GPT2_DIR);
    const alone = attach(model, inducer({ keyRank: 2, valueRank: 2 }), { seed: 6 });
    const want = logitsOf(model);
    alone.dispose();
    const tuned = attach(model, mix(dora({ sites: ['attn.q', 'attn.o'], rank: 2 }), inducer({ keyRank: 2, valueRank: 2 })), { seed: 6 });
    expect(Array.from(logitsOf(model))).toEqual(Array.from(want));
    randomise({ entries: () => tuned.instance.params.entries().filter(([n]) => n.startsWith('dora0.')) }, 9);
    expect(relDiff(logitsOf(model), want)).toBeGreaterThan(1e-3);
    tuned.dispose();
    model.dispose();
  });
});

describe('DoRA in rematerialised blocks', () => {
  it('the first pass inside checkpointed blocks sets m and the siblings’ norms as a plain pass does: same loss, same gradients', async () => {
    const run = async (checkpointBlocks: boolean) => {
      const model = await loadGpt2(TINY_GPT2_DIR);
      const tuned = attach(model, dora({ sites: ['attn.q', 'ffn.out'], rank: 2, alpha: 4 }), { seed: 4 });
      const inputIds = tf.tensor2d([IDS], [1, IDS.length], 'int32');
      const labels = tf.tensor2d([IDS.slice(1).concat([0])], [1, IDS.length], 'int32');
      const loss = () => lmLoss(model, model.forward({ inputIds, ctx: trainingContext(3, 0), checkpointBlocks }).hidden, labels);
      // B = 0 at first: the gradient of A is zero, those of B and m are not; the first pass is the one that sets m
      const { value, grads } = tf.variableGrads(loss, tuned.trainableVariables());
      const out = { loss: value.dataSync()[0]!, grads: Object.fromEntries(tuned.instance.params.entries().map(([n, v]) => [n, Array.from(grads[v.name]!.dataSync())])) };
      const dir = join(work, `remat-${checkpointBlocks}`);
      await tuned.save(dir); // k's and v's norms of c_attn were seen inside the blocks
      const file = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
      tf.dispose([value, ...Object.values(grads), inputIds, labels]);
      tuned.dispose();
      model.dispose();
      return { ...out, mag: Array.from(entryToTypedArray(file.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_magnitude_vector')!)) };
    };
    const plain = await run(false);
    const remat = await run(true);
    expect(remat.loss).toBeCloseTo(plain.loss, 5);
    expect(Math.max(...plain.grads['layers.1.ffn.out.lora_magnitude_vector']!.map(Math.abs))).toBeGreaterThan(0);
    for (const [name, g] of Object.entries(plain.grads)) expect(maxAbsDiff(remat.grads[name]!, g), name).toBeLessThan(1e-6);
    expect(remat.mag).toEqual(plain.mag);
  });
});

describe('DoRA on the tiny RoBERTa', () => {
  it('saves and loads with the classification head (SEQ_CLS), one magnitude vector per module', async () => {
    const model = await loadRoberta(TINY_ROBERTA_DIR, { numLabels: 3, seed: 5 });
    const tuned = attach(model, dora({ sites: ['attn.q', 'attn.v'], rank: 2, alpha: 4 }));
    logitsOf(model, [0, 31, 42, 7, 2]);
    randomise(tuned.instance.params, 17);
    const ours = logitsOf(model, [0, 31, 42, 7, 2]);
    const dir = join(work, 'roberta');
    await tuned.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ use_dora: true, task_type: 'SEQ_CLS', modules_to_save: ['classifier'] });
    const file = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
    expect(file.tensors.get('base_model.model.roberta.encoder.layer.0.attention.self.value.lora_magnitude_vector')!.shape).toEqual([32]);
    expect([...file.tensors.keys()].some((k) => k.includes('attention.self.key'))).toBe(false);
    tuned.dispose();
    const again = await loadAdapter(dir, model);
    expect(Array.from(logitsOf(model, [0, 31, 42, 7, 2]))).toEqual(Array.from(ours));
    again.dispose();
    model.dispose();
  });
});
