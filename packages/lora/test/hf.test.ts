import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AdapterMismatchError,
  EVAL_CONTEXT,
  MissingTensorError,
  attach,
  loadAdapter,
  readSafetensorsFile,
  entryToTypedArray,
  typedArrayToEntry,
  writeSafetensorsFile,
  type LinearSite,
  type SafetensorsEntry,
  type ModelSpec,
} from '@peft/core';
import { importHuggingFaceLora, lora, type LoraInstance } from '../src/index.js';
import { LinearSitesModel, TINY_GPT2, TINY_ROBERTA, matmul64, maxAbsDiff, transpose64, values } from './helpers.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'peft-lora-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function randomise(params: { entries(): [string, tf.Variable][] }, t0 = 40): void {
  let t = t0;
  for (const [, v] of params.entries()) v.assign(tf.tidy(() => tf.tensor(values(t++, 0.3, v.shape), v.shape)));
}

/** Δ of one site through the installed hook, with y = 0: [n, d_out] values. */
function siteDelta(inst: LoraInstance, layer: number, site: LinearSite, x: tf.Tensor, dOut: number): Float32Array {
  return tf.tidy(() => inst.hooks(layer).linear![site]!(x, tf.zeros([...x.shape.slice(0, -1), dOut]), EVAL_CONTEXT).dataSync() as Float32Array);
}

/** HF PEFT's get_pattern_key: the first key K with `(.*\.)?(K)$` matching the module path. */
function hfPatternKey(keys: string[], path: string): string | undefined {
  return keys.find((k) => new RegExp(`^(.*\\.)?(${k})$`).test(path));
}

/** HF's LoRA forward for one module: s·x·Aᵀ·Bᵀ in float64, x [n, d_in], A [R, d_in], B [d_out, R]. */
function hfDelta(x: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, n: number, dIn: number, r: number, dOut: number, s: number): Float64Array {
  return matmul64(matmul64(x, transpose64(a, r, dIn), n, dIn, r), transpose64(b, dOut, r), n, r, dOut).map((v) => v * s);
}

async function readTensors(dir: string): Promise<Map<string, { shape: readonly number[]; data: Float32Array }>> {
  const f = await readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, e] of f.tensors) out.set(k, { shape: e.shape, data: entryToTypedArray(e) as Float32Array });
  return out;
}

describe('Hugging Face PEFT layout: GPT-2', () => {
  it.each([
    ['equal ranks', { 'attn.q': 2, 'attn.v': 2 }, 4, 8],
    ['unequal ranks', { 'attn.q': 2, 'attn.v': 3 }, 5, 10],
  ] as const)('maps LoRA on attn.q and attn.v onto c_attn with block A/B (%s)', async (_, rank, R, alphaHf) => {
    const model = new LinearSitesModel(TINY_GPT2);
    const tuned = attach(model, lora({ sites: ['attn.q', 'attn.v'], rank, alpha: 4, dropout: 0.1 }));
    randomise(tuned.instance.params);
    const dir = await tempDir();
    await tuned.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: R,
      lora_alpha: alphaHf,
      lora_dropout: 0.1,
      fan_in_fan_out: true,
      bias: 'none',
      use_rslora: false,
      rank_pattern: { 'attn\\.c_attn': R },
      alpha_pattern: { 'attn\\.c_attn': alphaHf },
    });
    expect(Object.keys(cfg).filter((k) => ['peft_library', 'format_version', 'peft_method', 'model_spec'].includes(k))).toEqual([]);
    const target = new RegExp(`^(?:${cfg.target_modules})$`); // HF: re.fullmatch
    expect(target.test('transformer.h.11.attn.c_attn')).toBe(true);
    expect(target.test('h.0.attn.c_attn')).toBe(true);
    expect(target.test('transformer.h.0.attn.c_proj')).toBe(false);
    expect(target.test('transformer.h.0.mlp.c_fc')).toBe(false);

    const file = await readTensors(dir);
    expect([...file.keys()].sort()).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight',
    ]);
    const A = file.get('base_model.model.transformer.h.1.attn.c_attn.lora_A.weight')!;
    const B = file.get('base_model.model.transformer.h.1.attn.c_attn.lora_B.weight')!;
    expect(A.shape).toEqual([R, 8]);
    expect(B.shape).toEqual([24, R]);
    // HF's forward on c_attn, scaling lora_alpha / r, equals [Δq | 0 | Δv] of our hooks
    const X = values(0, 1, [4, 8]);
    const fused = hfDelta(X, A.data, B.data, 4, 8, R, 24, alphaHf / R);
    const x = tf.tensor(X, [1, 4, 8]);
    const dq = siteDelta(tuned.instance as LoraInstance, 1, 'attn.q', x, 8);
    const dv = siteDelta(tuned.instance as LoraInstance, 1, 'attn.v', x, 8);
    const col = (from: number) => Float64Array.from({ length: 32 }, (_, i) => fused[Math.floor(i / 8) * 24 + from + (i % 8)]!);
    expect(maxAbsDiff(col(0), dq)).toBeLessThan(1e-6);
    expect(maxAbsDiff(col(8), new Float32Array(32))).toBe(0);
    expect(maxAbsDiff(col(16), dv)).toBeLessThan(1e-6);
    expect(Math.max(...dq.map(Math.abs))).toBeGreaterThan(0.01);

    // ours → HF layout → ours
    const model2 = new LinearSitesModel(TINY_GPT2);
    const loaded = await loadAdapter(dir, model2);
    expect(loaded.method.config).toEqual(tuned.method.config);
    for (const [name, v] of tuned.instance.params.entries()) {
      expect(maxAbsDiff(loaded.instance.params.get(name).dataSync(), v.dataSync()), name).toBeLessThan(1e-6);
    }
    tf.dispose(x);
    loaded.dispose();
    tuned.dispose();
    model.dispose();
    model2.dispose();
  });

  it('maps attn.o, ffn.in and ffn.out onto attn.c_proj, mlp.c_fc, mlp.c_proj with exact A/B', async () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const tuned = attach(model, lora({ sites: ['attn.o', 'ffn.in', 'ffn.out'], rank: { 'attn.o': 2, 'ffn.in': 3, 'ffn.out': 1 }, alpha: 6 }));
    randomise(tuned.instance.params);
    const exported = tuned.instance.exportTensors!();
    expect(exported.owned).toBe(true);
    const t = exported.tensors;
    expect(Object.keys(t)).toHaveLength(12);
    expect(t['base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight']!.shape).toEqual([12, 3]);
    expect(t['base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight']!.shape).toEqual([1, 12]);
    expect(maxAbsDiff(t['base_model.model.transformer.h.1.attn.c_proj.lora_A.weight']!.dataSync(), tuned.instance.params.get('layers.1.attn.o.lora_A').dataSync())).toBe(0);
    tf.dispose(Object.values(t));
    const fields = (tuned.method as ReturnType<typeof lora>).adapterConfigFields();
    expect(fields.rank_pattern).toEqual({ 'attn\\.c_proj': 2, 'mlp\\.c_fc': 3, 'mlp\\.c_proj': 1 });
    expect(fields.alpha_pattern).toEqual({ 'attn\\.c_proj': 6, 'mlp\\.c_fc': 6, 'mlp\\.c_proj': 6 });
    const keys = Object.keys(fields.rank_pattern as object);
    expect(hfPatternKey(keys, 'transformer.h.3.mlp.c_proj')).toBe('mlp\\.c_proj');
    expect(hfPatternKey(keys, 'transformer.h.3.attn.c_proj')).toBe('attn\\.c_proj');
    tuned.dispose();
    model.dispose();
  });

  it('refuses to read a c_attn LoRA with non-zero k rows into a q,v config (it would silently drop them)', async () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const tuned = attach(model, lora({ sites: ['attn.q', 'attn.v'], rank: 2 }));
    randomise(tuned.instance.params);
    const dir = await tempDir();
    await tuned.save(dir);
    const path = join(dir, 'adapter_model.safetensors');
    const f = await readSafetensorsFile(path);
    const entries = new Map<string, SafetensorsEntry>([...f.tensors].map(([k, e]) => [k, { ...e, data: e.data.slice() }]));
    const key = 'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight';
    const b = entryToTypedArray(entries.get(key)!) as Float32Array;
    b[8 * 4 + 1] = 0.5; // row 8 = first k output
    entries.set(key, typedArrayToEntry(b, [24, 4]));
    await writeSafetensorsFile(path, entries);
    await expect(loadAdapter(dir, model)).rejects.toBeInstanceOf(AdapterMismatchError);
    tuned.dispose();
    model.dispose();
  });
});

describe('Hugging Face PEFT layout: RoBERTa', () => {
  it('uses the encoder module paths and patterns that tell output.dense from attention.output.dense', async () => {
    const model = new LinearSitesModel(TINY_ROBERTA);
    const tuned = attach(model, lora({ sites: ['attn.q', 'attn.v', 'attn.o', 'ffn.out'], rank: { 'attn.q': 2, 'attn.v': 2, 'attn.o': 3, 'ffn.out': 1 }, alpha: 16, hf: { baseModelNameOrPath: 'roberta-base' } }));
    randomise(tuned.instance.params);
    const dir = await tempDir();
    await tuned.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg.fan_in_fan_out).toBe(false);
    expect(cfg.task_type).toBe('SEQ_CLS');
    expect(cfg.base_model_name_or_path).toBe('roberta-base');
    const target = new RegExp(`^(?:${cfg.target_modules})$`);
    for (const m of ['attention.self.query', 'attention.self.value', 'attention.output.dense', 'output.dense']) {
      expect(target.test(`roberta.encoder.layer.1.${m}`), m).toBe(true);
    }
    expect(target.test('roberta.encoder.layer.1.attention.self.key')).toBe(false);
    expect(target.test('roberta.encoder.layer.1.intermediate.dense')).toBe(false);
    expect(target.test('classifier.dense')).toBe(false);
    const keys = Object.keys(cfg.rank_pattern);
    expect(cfg.rank_pattern[hfPatternKey(keys, 'roberta.encoder.layer.1.output.dense')!]).toBe(1);
    expect(cfg.rank_pattern[hfPatternKey(keys, 'roberta.encoder.layer.1.attention.output.dense')!]).toBe(3);
    expect(cfg.rank_pattern[hfPatternKey(keys, 'roberta.encoder.layer.1.attention.self.query')!]).toBe(2);
    const file = await readTensors(dir);
    expect(file.get('base_model.model.roberta.encoder.layer.0.attention.self.query.lora_A.weight')!.shape).toEqual([2, 8]);
    expect(file.get('base_model.model.roberta.encoder.layer.1.output.dense.lora_A.weight')!.shape).toEqual([1, 12]);
    expect(file.get('base_model.model.roberta.encoder.layer.1.attention.output.dense.lora_B.weight')!.shape).toEqual([8, 3]);
    expect(file.size).toBe(16);
    const loaded = await loadAdapter(dir, new LinearSitesModel(TINY_ROBERTA));
    for (const [name, v] of tuned.instance.params.entries()) expect(maxAbsDiff(loaded.instance.params.get(name).dataSync(), v.dataSync())).toBe(0);
    loaded.dispose();
    tuned.dispose();
    model.dispose();
  });
});

describe('KA flavour files', () => {
  it('are saved under @peft names, not as an HF LoraConfig, and load back', async () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const tuned = attach(model, lora({ sites: ['attn.q'], rank: 2, alpha: 32, flavour: 'ka' }));
    randomise(tuned.instance.params);
    const dir = await tempDir();
    await tuned.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toEqual({}); // no PEFT field: PEFT cannot load a KA-flavour LoRA
    const file = await readTensors(dir);
    expect([...file.keys()].sort()).toEqual(tuned.instance.params.names().sort());
    const loaded = await loadAdapter(dir, model);
    for (const [name, v] of tuned.instance.params.entries()) expect(maxAbsDiff(loaded.instance.params.get(name).dataSync(), v.dataSync())).toBe(0);
    loaded.dispose();
    tuned.dispose();
    model.dispose();
  });
});

/** Writes a directory exactly as HF PEFT's save_pretrained would: its LoraConfig fields and base_model.model.* keys. */
async function writeHfAdapter(config: Record<string, unknown>, tensors: Record<string, { data: Float32Array; shape: number[] }>): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({
    alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: 'gpt2', bias: 'none', fan_in_fan_out: false,
    inference_mode: true, init_lora_weights: true, layers_pattern: null, layers_to_transform: null, lora_alpha: 8,
    lora_dropout: 0.0, modules_to_save: null, peft_type: 'LORA', r: 8, rank_pattern: {}, revision: null,
    target_modules: ['c_attn'], task_type: 'CAUSAL_LM', use_dora: false, use_rslora: false, ...config,
  }, null, 2));
  await writeSafetensorsFile(
    join(dir, 'adapter_model.safetensors'),
    Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, typedArrayToEntry(v.data, v.shape, 'F32')])),
    { format: 'pt' },
  );
  return dir;
}

describe('importHuggingFaceLora', () => {
  const gpt2Tensors = (R: number) => {
    const t: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (let l = 0; l < 2; l++) {
      t[`base_model.model.transformer.h.${l}.attn.c_attn.lora_A.weight`] = { data: values(60 + l, 0.3, [R, 8]), shape: [R, 8] };
      t[`base_model.model.transformer.h.${l}.attn.c_attn.lora_B.weight`] = { data: values(70 + l, 0.3, [24, R]), shape: [24, R] };
    }
    return t;
  };

  it('loads a GPT-2 c_attn LoRA as LoRA on q, k, v computing the same map as HF', async () => {
    const tensors = gpt2Tensors(4);
    const dir = await writeHfAdapter({ r: 4, lora_alpha: 12, fan_in_fan_out: true, lora_dropout: 0.05 }, tensors);
    const { method, instance } = await importHuggingFaceLora(dir, TINY_GPT2);
    expect(method.config).toMatchObject({ sites: ['attn.q', 'attn.k', 'attn.v'], rank: { 'attn.q': 4, 'attn.k': 4, 'attn.v': 4 }, alpha: { 'attn.q': 12 }, dropout: 0.05, flavour: 'loralib' });
    const X = values(0, 1, [4, 8]);
    const x = tf.tensor(X, [1, 4, 8]);
    const k = 'base_model.model.transformer.h.1.attn.c_attn.lora_';
    const fused = hfDelta(X, tensors[`${k}A.weight`]!.data, tensors[`${k}B.weight`]!.data, 4, 8, 4, 24, 12 / 4);
    ['attn.q', 'attn.k', 'attn.v'].forEach((site, j) => {
      const got = siteDelta(instance, 1, site as LinearSite, x, 8);
      const want = Float64Array.from({ length: 32 }, (_, i) => fused[Math.floor(i / 8) * 24 + 8 * j + (i % 8)]!);
      expect(maxAbsDiff(got, want), site).toBeLessThan(1e-6);
    });
    tf.dispose(x);
    instance.dispose();
  });

  it('resolves rank_pattern / alpha_pattern per module (RoBERTa query r=4, value r=2)', async () => {
    const spec: ModelSpec = TINY_ROBERTA;
    const t: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (let l = 0; l < 2; l++) {
      for (const [m, r] of [['query', 4], ['value', 2]] as const) {
        const p = `base_model.model.roberta.encoder.layer.${l}.attention.self.${m}`;
        t[`${p}.lora_A.weight`] = { data: values(80 + l + r, 0.3, [r, 8]), shape: [r, 8] };
        t[`${p}.lora_B.weight`] = { data: values(90 + l + r, 0.3, [8, r]), shape: [8, r] };
      }
    }
    const head = { 'dense.weight': [8, 8], 'dense.bias': [8], 'out_proj.weight': [3, 8], 'out_proj.bias': [3] } as const;
    Object.entries(head).forEach(([k, shape], i) => (t[`base_model.model.classifier.${k}`] = { data: values(100 + i, 0.3, [...shape]), shape: [...shape] }));
    const dir = await writeHfAdapter({ r: 4, lora_alpha: 16, rank_pattern: { value: 2 }, alpha_pattern: { value: 4 }, target_modules: ['query', 'value'], task_type: 'SEQ_CLS', modules_to_save: ['classifier', 'score'] }, t);
    // the trained head comes back with the LoRA (no ignoreOtherTensors needed), under names below `classifier.`
    const { method, instance, taskHead } = await importHuggingFaceLora(dir, spec);
    expect(taskHead!.module).toBe('classifier');
    expect(Object.keys(taskHead!.tensors).sort()).toEqual(['dense.bias', 'dense.weight', 'out_proj.bias', 'out_proj.weight']);
    expect(maxAbsDiff(taskHead!.tensors['out_proj.weight']!.dataSync(), t['base_model.model.classifier.out_proj.weight']!.data)).toBe(0);
    tf.dispose(Object.values(taskHead!.tensors));
    // the same head on GPT-2, which has none, is refused naming modules_to_save
    const onGpt2 = await writeHfAdapter({ r: 4, modules_to_save: ['classifier'] }, { ...gpt2Tensors(4), 'base_model.model.classifier.dense.weight': t['base_model.model.classifier.dense.weight']! });
    await expect(importHuggingFaceLora(onGpt2, TINY_GPT2)).rejects.toThrow(/modules_to_save/);
    expect(method.config.rank).toEqual({ 'attn.q': 4, 'attn.v': 2 });
    expect(method.config.alpha).toEqual({ 'attn.q': 16, 'attn.v': 4 });
    const X = values(0, 1, [4, 8]);
    const x = tf.tensor(X, [1, 4, 8]);
    const p = 'base_model.model.roberta.encoder.layer.0.attention.self.value';
    const want = hfDelta(X, t[`${p}.lora_A.weight`]!.data, t[`${p}.lora_B.weight`]!.data, 4, 8, 2, 8, 4 / 2);
    expect(maxAbsDiff(siteDelta(instance, 0, 'attn.v', x, 8), want)).toBeLessThan(1e-6);
    tf.dispose(x);
    instance.dispose();
  });

  it('refuses what it cannot represent, naming the field', async () => {
    const t = gpt2Tensors(2);
    for (const [field, value] of [
      ['use_dora', true],
      ['bias', 'all'],
      ['bias', 'lora_only'],
      ['lora_bias', true],
      ['layers_to_transform', [1]], // the file has layers 0 and 1
      ['target_parameters', ['mlp.experts']],
      ['peft_type', 'IA3'],
    ] as const) {
      const dir = await writeHfAdapter({ r: 2, [field]: value }, t);
      const err = await importHuggingFaceLora(dir, TINY_GPT2).catch((e: unknown) => e);
      expect(err, field).toBeInstanceOf(AdapterMismatchError);
      expect((err as AdapterMismatchError).field).toBe(field);
      expect((err as Error).message).toContain(`field '${field}'`);
    }
    const missing = { ...t };
    delete missing['base_model.model.transformer.h.1.attn.c_attn.lora_B.weight'];
    await expect(importHuggingFaceLora(await writeHfAdapter({ r: 2 }, missing), TINY_GPT2)).rejects.toBeInstanceOf(MissingTensorError);
    await expect(importHuggingFaceLora(await writeHfAdapter({ r: 3 }, t), TINY_GPT2)).rejects.toThrow(/lora_A\.weight' has shape \[2, 8\], expected \[3, 8\]/);
  });

  it('leaks no tensors', async () => {
    const dir = await writeHfAdapter({ r: 2, fan_in_fan_out: true }, gpt2Tensors(2));
    const before = tf.memory().numTensors;
    const { instance } = await importHuggingFaceLora(dir, TINY_GPT2);
    expect(tf.memory().numTensors).toBe(before + instance.params.size);
    instance.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
