import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AdapterMismatchError,
  CheckpointError,
  EVAL_CONTEXT,
  attach,
  loadAdapter,
  typedArrayToEntry,
  writeSafetensorsFile,
  type LinearSite,
  type SafetensorsDtype,
} from '@peft/core';
import { gpt2Spec } from '@peft/models-gpt2-roberta';
import { importHuggingFaceLora, lora, resolveHfPattern, type LoraInstance } from '../src/index.js';
import { LinearSitesModel, TINY_GPT2, TINY_ROBERTA, matmul64, maxAbsDiff, transpose64, values } from './helpers.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'peft-lora-pat-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

type T = Record<string, { data: Float32Array; shape: number[] }>;
async function writeHfAdapter(config: Record<string, unknown>, tensors: T, dtype: SafetensorsDtype = 'F32'): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({
    base_model_name_or_path: 'gpt2', bias: 'none', fan_in_fan_out: true, lora_alpha: 8, lora_dropout: 0, modules_to_save: null,
    peft_type: 'LORA', r: 8, rank_pattern: {}, alpha_pattern: {}, target_modules: ['c_attn', 'c_fc'], task_type: 'CAUSAL_LM',
    use_dora: false, use_rslora: false, layers_to_transform: null, ...config,
  }));
  await writeSafetensorsFile(join(dir, 'adapter_model.safetensors'), Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, typedArrayToEntry(v.data, v.shape, dtype)])), { format: 'pt' });
  return dir;
}

/** c_attn (rank r per layer) and c_fc (rank 2) factors of the given layers of the tiny GPT-2. */
function gpt2Factors(ranks: Record<number, number>): T {
  const t: T = {};
  for (const [l, r] of Object.entries(ranks)) {
    t[`base_model.model.transformer.h.${l}.attn.c_attn.lora_A.weight`] = { data: values(10 + +l, 0.3, [r, 8]), shape: [r, 8] };
    t[`base_model.model.transformer.h.${l}.attn.c_attn.lora_B.weight`] = { data: values(20 + +l, 0.3, [24, r]), shape: [24, r] };
    t[`base_model.model.transformer.h.${l}.mlp.c_fc.lora_A.weight`] = { data: values(30 + +l, 0.3, [2, 8]), shape: [2, 8] };
    t[`base_model.model.transformer.h.${l}.mlp.c_fc.lora_B.weight`] = { data: values(40 + +l, 0.3, [12, 2]), shape: [12, 2] };
  }
  return t;
}

/** HF's update of one module: s·x·Aᵀ·Bᵀ in float64. */
function hfDelta(x: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, n: number, dIn: number, r: number, dOut: number, s: number): Float64Array {
  return matmul64(matmul64(x, transpose64(a, r, dIn), n, dIn, r), transpose64(b, dOut, r), n, r, dOut).map((v) => v * s);
}

/** Our update of c_attn's q|k|v at `layer`, laid side by side like HF's fused output. */
function ourCAttn(inst: LoraInstance, layer: number, x: tf.Tensor): Float64Array {
  const parts = (['attn.q', 'attn.k', 'attn.v'] as LinearSite[]).map((site) =>
    tf.tidy(() => inst.hooks(layer).linear![site]!(x, tf.zeros([1, 4, 8]), EVAL_CONTEXT).dataSync() as Float32Array),
  );
  return Float64Array.from({ length: 4 * 24 }, (_, i) => parts[Math.floor((i % 24) / 8)]![Math.floor(i / 24) * 8 + (i % 8)]!);
}

const X = values(0, 1, [4, 8]);

describe('rank_pattern / alpha_pattern as Hugging Face PEFT resolves them', () => {
  it('follows get_pattern_key: the first matching key, module suffix, layer-specific path, regex', () => {
    const cfg = { r: 4, lora_alpha: 8, alpha_pattern: { 'h.1.attn.c_attn': 16, c_attn: 6, 'h\\.[01]\\.mlp\\..*': 3 } };
    const a = (path: string) => resolveHfPattern(cfg, 'alpha_pattern', 'lora_alpha', path, 'cfg');
    expect(a('transformer.h.1.attn.c_attn')).toBe(16);
    expect(a('transformer.h.0.attn.c_attn')).toBe(6);
    expect(a('transformer.h.11.attn.c_attn')).toBe(6); // h.1 is not h.11
    expect(a('transformer.h.0.mlp.c_fc')).toBe(3);
    expect(a('transformer.h.0.attn.c_proj')).toBe(8);
    expect(resolveHfPattern({}, 'rank_pattern', 'r', 'x', 'cfg')).toBe(8); // PEFT's default r
    expect(() => resolveHfPattern({ r: 4, rank_pattern: { '(': 2 } }, 'rank_pattern', 'r', 'h.0.x', 'cfg')).toThrow(/rank_pattern\.\(/);
  });

  it("imports the issue's layer-specific alpha_pattern with each layer's own α (not layer 0's for all)", async () => {
    const t = gpt2Factors({ 0: 4, 1: 4 });
    const dir = await writeHfAdapter({ r: 4, lora_alpha: 8, target_modules: ['c_attn', 'c_fc'], rank_pattern: { c_fc: 2 }, alpha_pattern: { 'h.1.attn.c_attn': 16 } }, t);
    const { method, instance } = await importHuggingFaceLora(dir, TINY_GPT2);
    expect(method.config.layerAlpha).toEqual({ '1.attn.q': 16, '1.attn.k': 16, '1.attn.v': 16 });
    const x = tf.tensor(X, [1, 4, 8]);
    for (const [layer, alpha] of [[0, 8], [1, 16]] as const) {
      const k = `base_model.model.transformer.h.${layer}.attn.c_attn.lora_`;
      const want = hfDelta(X, t[`${k}A.weight`]!.data, t[`${k}B.weight`]!.data, 4, 8, 4, 24, alpha / 4);
      expect(maxAbsDiff(ourCAttn(instance, layer, x), want), `layer ${layer}`).toBeLessThan(1e-5);
    }
    tf.dispose(x);
    instance.dispose();
  });

  it('imports a layer-specific rank_pattern, rsLoRA (α/√r) and layers_to_transform', async () => {
    const t = gpt2Factors({ 1: 6 }); // layer 1 only, c_attn of rank 6 there
    const dir = await writeHfAdapter({ r: 4, lora_alpha: 8, use_rslora: true, layers_to_transform: [1], layers_pattern: 'h', rank_pattern: { 'h.1.attn.c_attn': 6, '.*c_fc': 2 } }, t);
    const { method, instance } = await importHuggingFaceLora(dir, TINY_GPT2);
    expect(method.config).toMatchObject({ rslora: true, layers: [1], rank: { 'attn.q': 6, 'ffn.in': 2 } });
    expect(instance.hooks(0).linear).toEqual({});
    const x = tf.tensor(X, [1, 4, 8]);
    const k = 'base_model.model.transformer.h.1.attn.c_attn.lora_';
    const want = hfDelta(X, t[`${k}A.weight`]!.data, t[`${k}B.weight`]!.data, 4, 8, 6, 24, 8 / Math.sqrt(6));
    expect(maxAbsDiff(ourCAttn(instance, 1, x), want)).toBeLessThan(1e-5);
    tf.dispose(x);
    instance.dispose();
  });

  it('exports per-layer r and α, rsLoRA and the layers as fields PEFT resolves back to the same values', async () => {
    const model = new LinearSitesModel(TINY_ROBERTA);
    const tuned = attach(
      model,
      lora({ sites: ['attn.q', 'ffn.out'], rank: 2, alpha: 4, rslora: true, layers: [1], layerAlpha: { '1.attn.q': 9 }, layerRank: { '1.ffn.out': 3 } }),
    );
    let t0 = 5;
    for (const [, v] of tuned.instance.params.entries()) v.assign(tf.tidy(() => tf.tensor(values(t0++, 0.3, v.shape), v.shape)));
    const dir = await tempDir();
    await tuned.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ use_rslora: true, layers_to_transform: null, layers_pattern: null, modules_to_save: null });
    const target = new RegExp(`^(?:${cfg.target_modules})$`);
    expect(target.test('roberta.encoder.layer.1.attention.self.query')).toBe(true);
    expect(target.test('roberta.encoder.layer.0.attention.self.query')).toBe(false);
    expect(target.test('roberta.encoder.layer.1.attention.output.dense')).toBe(false);
    expect(target.test('roberta.encoder.layer.1.output.dense')).toBe(true);
    const r = (p: string) => resolveHfPattern(cfg, 'rank_pattern', 'r', p, 'cfg');
    const a = (p: string) => resolveHfPattern(cfg, 'alpha_pattern', 'lora_alpha', p, 'cfg');
    expect([r('roberta.encoder.layer.1.attention.self.query'), a('roberta.encoder.layer.1.attention.self.query')]).toEqual([2, 9]);
    expect([r('roberta.encoder.layer.1.output.dense'), a('roberta.encoder.layer.1.output.dense')]).toEqual([3, 4]);
    // the HF files read back by the importer are the same method and factors
    const imported = await importHuggingFaceLora(dir, TINY_ROBERTA);
    expect(imported.method.config).toMatchObject({ rslora: true, layers: [1], rank: { 'attn.q': 2, 'ffn.out': 3 }, alpha: { 'attn.q': 9, 'ffn.out': 4 } });
    for (const [name, v] of tuned.instance.params.entries()) expect(maxAbsDiff(imported.instance.params.get(name).dataSync(), v.dataSync()), name).toBe(0);
    // and @peft's own loader gives back the very config
    const loaded = await loadAdapter(dir, new LinearSitesModel(TINY_ROBERTA));
    expect(loaded.method.config).toEqual(tuned.method.config);
    imported.instance.dispose();
    loaded.dispose();
    tuned.dispose();
  });

  it('exports an unequal fused c_attn under rsLoRA with HF scaling α_HF/√R equal to ours', async () => {
    const model = new LinearSitesModel(TINY_GPT2);
    const tuned = attach(model, lora({ sites: ['attn.q', 'attn.v'], rank: 4, alpha: 8, rslora: true, layerAlpha: { '1.attn.v': 2 } }));
    let t0 = 50;
    for (const [, v] of tuned.instance.params.entries()) v.assign(tf.tidy(() => tf.tensor(values(t0++, 0.3, v.shape), v.shape)));
    const dir = await tempDir();
    await tuned.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    const imported = await importHuggingFaceLora(dir, TINY_GPT2, { ignoreOtherTensors: false });
    const x = tf.tensor(X, [1, 4, 8]);
    for (const layer of [0, 1]) {
      const got = ourCAttn(imported.instance, layer, x);
      const R = resolveHfPattern(cfg, 'rank_pattern', 'r', `transformer.h.${layer}.attn.c_attn`, 'cfg');
      const alpha = resolveHfPattern(cfg, 'alpha_pattern', 'lora_alpha', `transformer.h.${layer}.attn.c_attn`, 'cfg');
      expect(R).toBe(8);
      const [q, v] = [tuned.instance as LoraInstance, tuned.instance as LoraInstance].map((i, j) =>
        tf.tidy(() => i.hooks(layer).linear![j ? 'attn.v' : 'attn.q']!(x, tf.zeros([1, 4, 8]), EVAL_CONTEXT).dataSync() as Float32Array),
      );
      const want = Float64Array.from({ length: 96 }, (_, i) => (i % 24 < 8 ? q![Math.floor(i / 24) * 8 + (i % 8)]! : i % 24 >= 16 ? v![Math.floor(i / 24) * 8 + (i % 8)]! : 0));
      expect(maxAbsDiff(got, want), `layer ${layer}`).toBeLessThan(1e-5);
      expect(alpha / Math.sqrt(R)).toBeCloseTo(8 / Math.sqrt(4), 12);
    }
    tf.dispose(x);
    imported.instance.dispose();
    tuned.dispose();
  });
});

describe('adapters as people find them', () => {
  it.each(['F16', 'BF16'] as const)('reads %s factors as float32', async (dtype) => {
    const t = gpt2Factors({ 0: 4, 1: 4 });
    const dir = await writeHfAdapter({ r: 4, rank_pattern: { c_fc: 2 } }, t, dtype);
    const { instance } = await importHuggingFaceLora(dir, TINY_GPT2);
    const a = instance.params.get('layers.0.attn.q.lora_A');
    expect(a.dtype).toBe('float32');
    expect(maxAbsDiff(a.dataSync(), t['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight']!.data)).toBeLessThan(dtype === 'F16' ? 1e-3 : 1e-2);
    instance.dispose();
  });

  it('refuses the pickle form adapter_model.bin, saying how to convert it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 2 }));
    await writeFile(join(dir, 'adapter_model.bin'), 'PK\x03\x04 not read');
    const err = await importHuggingFaceLora(dir, TINY_GPT2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('E_PICKLE_ADAPTER');
    expect((err as Error).message).toMatch(/adapter_model\.bin: a PyTorch pickle.*safetensors\.torch import save_file.*safe_serialization=True/);
  });

  it('refuses an adapter for another base, naming the field or the shape', async () => {
    const t = gpt2Factors({ 0: 4, 1: 4 });
    const dir = await writeHfAdapter({ r: 4, rank_pattern: { c_fc: 2 }, base_model_name_or_path: 'gpt2-medium' }, t);
    const named = await importHuggingFaceLora(dir, TINY_GPT2, { baseModel: 'gpt2' }).catch((e: unknown) => e);
    expect(named).toBeInstanceOf(AdapterMismatchError);
    expect((named as AdapterMismatchError).field).toBe('base_model_name_or_path');
    expect((named as Error).message).toContain(`'base_model_name_or_path' is "gpt2-medium" in the adapter, but "gpt2" here`);
    // a wider model: A's d_in is named
    await expect(importHuggingFaceLora(dir, gpt2Spec({ nLayer: 2, nEmbd: 16, nHead: 2, nInner: 12, vocabSize: 50257 }))).rejects.toThrow(/h\.0\.attn\.c_attn\.lora_A\.weight' has shape \[4, 8\], expected \[4, 16\]/);
    // fewer layers: the layer beyond them is named
    await expect(importHuggingFaceLora(dir, { ...TINY_GPT2, numLayers: 1 })).rejects.toThrow(/h\.1\..*layer below the model's 1/);
    // another architecture
    await expect(importHuggingFaceLora(dir, TINY_ROBERTA)).rejects.toThrow(/its keys are under 'transformer\.h', this model's layers under 'roberta\.encoder\.layer'/);
  });
});
