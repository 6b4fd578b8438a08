import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AdapterMismatchError,
  ADAPTER_CONFIG_FILE,
  ADAPTER_METADATA_FILE,
  ADAPTER_WEIGHTS_FILE,
  attach,
  loadAdapter,
  readSafetensorsFile,
  tensorsToEntries,
  writeSafetensorsFile,
  type ModelSpec,
} from '@peft/core';
import { lora } from '@peft/lora';
import { mix } from '@peft/mam';
import { ia3, importHuggingFaceIa3 } from '../src/index.js';
import { GPT2_HF, logitsOf, randomise, relDiff, tinyGpt2 } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'peft-ia3-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;
const newDir = (): string => join(work, `a${dirs++}`);

const KEY = (layer: number, module: string): string => `base_model.model.transformer.h.${layer}.${module}.ia3_l`;

describe("IA³ in Hugging Face PEFT's layout (from the spec's hf facts)", () => {
  it('save writes ia3_l per module ([out, 1]; feedforward [1, in]), q written as ones in c_attn; loadAdapter gives the same logits', async () => {
    const model = await tinyGpt2();
    const tuned = attach(model, ia3());
    randomise(tuned.trainableVariables());
    const ours = logitsOf(model);
    const dir = newDir();
    await tuned.save(dir);
    const cfg = JSON.parse(readFileSync(join(dir, ADAPTER_CONFIG_FILE), 'utf8'));
    expect(cfg).toEqual({
      peft_type: 'IA3',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: null,
      revision: null,
      inference_mode: true,
      target_modules: '(?:.*\\.)?transformer\\.h\\.\\d+\\.(?:attn\\.c_attn|mlp\\.c_proj)',
      exclude_modules: null,
      feedforward_modules: '(?:.*\\.)?transformer\\.h\\.\\d+\\.(?:mlp\\.c_proj)',
      fan_in_fan_out: true,
      modules_to_save: null,
      init_ia3_weights: true,
    });
    // PEFT matches both with re.fullmatch against the module's path
    const full = (re: string, s: string): boolean => new RegExp(`^(?:${re})$`).test(s);
    expect(full(cfg.target_modules, 'transformer.h.1.attn.c_attn')).toBe(true);
    expect(full(cfg.target_modules, 'transformer.h.1.mlp.c_proj')).toBe(true);
    expect(full(cfg.target_modules, 'transformer.h.1.attn.c_proj')).toBe(false);
    expect(full(cfg.feedforward_modules, 'transformer.h.0.mlp.c_proj')).toBe(true);
    expect(full(cfg.feedforward_modules, 'transformer.h.0.attn.c_attn')).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, ADAPTER_METADATA_FILE), 'utf8')).peft_method).toEqual({ type: 'ia3', config: { targets: ['attn.k', 'attn.v', 'ffn.act'] } });
    const file = await readSafetensorsFile(join(dir, ADAPTER_WEIGHTS_FILE));
    expect(Object.fromEntries([...file.tensors].map(([k, e]) => [k, e.shape]))).toEqual({
      [KEY(0, 'attn.c_attn')]: [96, 1],
      [KEY(0, 'mlp.c_proj')]: [1, 128],
      [KEY(1, 'attn.c_attn')]: [96, 1],
      [KEY(1, 'mlp.c_proj')]: [1, 128],
    });
    const cAttn = new Float32Array(file.tensors.get(KEY(1, 'attn.c_attn'))!.data.slice().buffer);
    expect(Array.from(cAttn.slice(0, 32)).every((x) => x === 1)).toBe(true); // q: not scaled
    expect(Array.from(cAttn.slice(32, 64))).toEqual(Array.from(tuned.instance.params.get('layers.1.attn.k.ia3_l').dataSync()));
    tuned.dispose();
    model.dispose();

    const fresh = await tinyGpt2();
    const loaded = await loadAdapter(dir, fresh);
    expect(loaded.method.type).toBe('ia3');
    expect(Array.from(logitsOf(fresh))).toEqual(Array.from(ours));
    loaded.dispose();
    fresh.dispose();
  });

  it('refuses a c_attn vector whose q part is not 1 for a config that does not scale q, naming the way to read it', async () => {
    const model = await tinyGpt2();
    const tuned = attach(model, ia3({ targets: ['attn.v'] }));
    const { tensors } = tuned.instance.exportTensors!();
    const cAttn = tensors[KEY(0, 'attn.c_attn')]!;
    const bad = { ...tensors, [KEY(0, 'attn.c_attn')]: tf.tidy(() => tf.concat([tf.fill([1, 1], 1.5), tf.slice(cAttn, [1, 0], [95, 1])], 0)) };
    let err: unknown;
    try {
      tuned.instance.importTensors!(bad, 'adapter_model.safetensors');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AdapterMismatchError);
    expect(String(err)).toMatch(/entries up to 0\.5 away from 1 there \(the file scales 'attn\.q': read it with importHuggingFaceIa3.*ones in the 'attn\.q' part/);
    // a missing vector and a stray tensor are refused too
    const { [KEY(1, 'attn.c_attn')]: _, ...missing } = tensors;
    expect(() => tuned.instance.importTensors!(missing, 'f')).toThrow(/tensor 'base_model\.model\.transformer\.h\.1\.attn\.c_attn\.ia3_l' is missing/);
    expect(() => tuned.instance.importTensors!({ ...tensors, extra: cAttn }, 'f')).toThrow(/extra: f holds a tensor this IA³ config does not have/);
    tf.dispose([...Object.values(tensors), bad[KEY(0, 'attn.c_attn')]]);
    tuned.dispose();
    model.dispose();
  });

  it('a Llama-shaped spec (grouped-query attention, gated FFN): k_proj/v_proj [kvHeads·p, 1], down_proj feedforward [1, d_ff]', () => {
    const llama: ModelSpec = {
      architecture: 'llama-like', numLayers: 2, hiddenSize: 8, numHeads: 4, headDim: 2, numKeyValueHeads: 2, intermediateSize: 12,
      linearSites: {
        'attn.q': { inFeatures: 8, outFeatures: 8 }, 'attn.k': { inFeatures: 8, outFeatures: 4 }, 'attn.v': { inFeatures: 8, outFeatures: 4 },
        'attn.o': { inFeatures: 8, outFeatures: 8 }, 'ffn.gate': { inFeatures: 8, outFeatures: 12 }, 'ffn.in': { inFeatures: 8, outFeatures: 12 },
        'ffn.out': { inFeatures: 12, outFeatures: 8 },
      },
      hf: {
        layersPath: 'model.layers',
        modules: (['q', 'k', 'v', 'o'] as const).map((s) => ({ name: `self_attn.${s}_proj`, sites: [`attn.${s}` as const], pattern: `self_attn\\.${s}_proj` }))
          .concat([{ name: 'mlp.gate_proj', sites: ['ffn.gate'], pattern: 'gate_proj' }, { name: 'mlp.up_proj', sites: ['ffn.in'], pattern: 'up_proj' }, { name: 'mlp.down_proj', sites: ['ffn.out'], pattern: 'down_proj' }] as never),
        fanInFanOut: false,
        taskType: 'CAUSAL_LM',
      },
    };
    const m = ia3({ targets: ['attn.k', 'attn.v', 'ffn.gate', 'ffn.act'] });
    const inst = m.init(llama);
    expect(inst.params.count()).toBe(2 * (4 + 4 + 12 + 12));
    const { tensors } = inst.exportTensors!();
    expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]))).toEqual({
      'base_model.model.model.layers.0.self_attn.k_proj.ia3_l': [4, 1],
      'base_model.model.model.layers.0.self_attn.v_proj.ia3_l': [4, 1],
      'base_model.model.model.layers.0.mlp.gate_proj.ia3_l': [12, 1],
      'base_model.model.model.layers.0.mlp.down_proj.ia3_l': [1, 12],
      'base_model.model.model.layers.1.self_attn.k_proj.ia3_l': [4, 1],
      'base_model.model.model.layers.1.self_attn.v_proj.ia3_l': [4, 1],
      'base_model.model.model.layers.1.mlp.gate_proj.ia3_l': [12, 1],
      'base_model.model.model.layers.1.mlp.down_proj.ia3_l': [1, 12],
    });
    const cfg = m.adapterConfigFields();
    expect(cfg.target_modules).toBe('(?:.*\\.)?model\\.layers\\.\\d+\\.(?:self_attn\\.k_proj|self_attn\\.v_proj|mlp\\.gate_proj|mlp\\.down_proj)');
    expect(cfg.feedforward_modules).toBe('(?:.*\\.)?model\\.layers\\.\\d+\\.(?:mlp\\.down_proj)');
    expect(cfg.fan_in_fan_out).toBe(false);
    // and back: the same vectors
    inst.vector(1, 'attn.v').assign(tf.tensor1d([1, 2, 3, 4]));
    const again = m.init(llama);
    const fresh = inst.exportTensors!().tensors;
    const before = tf.memory().numTensors;
    again.importTensors!(fresh, 'f');
    expect(tf.memory().numTensors, 'import leaks nothing').toBe(before);
    expect(Array.from(again.vector(1, 'attn.v').dataSync())).toEqual([1, 2, 3, 4]);
    tf.dispose([...Object.values(tensors), ...Object.values(fresh)]);
    inst.dispose();
    again.dispose();
  });

  it('keeps @peft names, and writes no PEFT field, where the spec has no hf facts or PEFT cannot express the config', () => {
    const bare: ModelSpec = { architecture: 'toy', numLayers: 1, hiddenSize: 4, numHeads: 2, headDim: 2, intermediateSize: 6 };
    const m = ia3();
    const inst = m.init(bare);
    expect(inst.exportTensors).toBeUndefined();
    expect(m.adapterConfigFields()).toEqual({});
    inst.dispose();
    // ffn.out's output and its input (ffn.act) are both on mlp.c_proj: PEFT scales one or the other
    const both = ia3({ targets: ['ffn.out', 'ffn.act'] });
    const inst2 = both.init({ ...bare, hf: GPT2_HF });
    expect(inst2.exportTensors).toBeUndefined();
    expect(both.adapterConfigFields()).toEqual({});
    inst2.dispose();
  });
});

describe('importHuggingFaceIa3 (a directory PEFT wrote)', () => {
  async function peftDir(tensors: Record<string, tf.Tensor>, cfg: Record<string, unknown>): Promise<string> {
    const dir = newDir();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify({ peft_type: 'IA3', task_type: 'CAUSAL_LM', base_model_name_or_path: 'tiny-gpt2', ...cfg }));
    await writeSafetensorsFile(join(dir, ADAPTER_WEIGHTS_FILE), await tensorsToEntries(tensors, 'F32'), { format: 'pt' });
    return dir;
  }

  it("reads PEFT's GPT-2 default (c_attn whole, mlp.c_proj feedforward) as q, k, v and ffn.act: the same logits", async () => {
    const vec = (t: number, n: number, shape: [number, number]): tf.Tensor => tf.tidy(() => tf.reshape(tf.add(1, tf.mul(0.4, tf.sin(tf.range(t, t + n)))), shape));
    const tensors = {
      [KEY(0, 'attn.c_attn')]: vec(0, 96, [96, 1]),
      [KEY(1, 'attn.c_attn')]: vec(100, 96, [96, 1]),
      [KEY(0, 'mlp.c_proj')]: vec(200, 128, [1, 128]),
      [KEY(1, 'mlp.c_proj')]: vec(300, 128, [1, 128]),
    };
    const dir = await peftDir(tensors, { target_modules: ['c_attn', 'mlp.c_proj'], feedforward_modules: ['mlp.c_proj'], fan_in_fan_out: true });
    const model = await tinyGpt2();
    const base = logitsOf(model);
    const imported = await importHuggingFaceIa3(dir, model.spec, { baseModel: 'tiny-gpt2' });
    expect(imported.method.config).toEqual({ targets: ['attn.q', 'attn.k', 'attn.v', 'ffn.act'], hf: { baseModelNameOrPath: 'tiny-gpt2', taskType: 'CAUSAL_LM' } });
    expect(Array.from(imported.instance.vector(1, 'attn.v').dataSync())).toEqual(Array.from(tensors[KEY(1, 'attn.c_attn')]!.dataSync().slice(64)));
    model.useMethod(imported.instance);
    const theirs = logitsOf(model);
    expect(relDiff(theirs, base)).toBeGreaterThan(1e-2);
    // the same scaling by hand: a fresh IA³ on q, k, v, ffn.act with the file's pieces
    model.useMethod(null);
    const byHand = attach(model, ia3({ targets: ['attn.q', 'attn.k', 'attn.v', 'ffn.act'] }));
    for (const layer of [0, 1]) {
      const c = tensors[KEY(layer, 'attn.c_attn')]!.dataSync();
      byHand.instance.params.get(`layers.${layer}.attn.q.ia3_l`).assign(tf.tensor1d(c.slice(0, 32)));
      byHand.instance.params.get(`layers.${layer}.attn.k.ia3_l`).assign(tf.tensor1d(c.slice(32, 64)));
      byHand.instance.params.get(`layers.${layer}.attn.v.ia3_l`).assign(tf.tensor1d(c.slice(64)));
      byHand.instance.params.get(`layers.${layer}.ffn.act.ia3_l`).assign(tf.tensor1d(tensors[KEY(layer, 'mlp.c_proj')]!.dataSync()));
    }
    expect(Array.from(logitsOf(model))).toEqual(Array.from(theirs));
    byHand.dispose();
    imported.instance.dispose();
    tf.dispose(Object.values(tensors));
    model.dispose();
  });

  it('refuses what @peft cannot express or another method’s file, naming the field', async () => {
    const model = await tinyGpt2();
    const ffAttn = { [KEY(0, 'attn.c_attn')]: tf.ones([1, 32]), [KEY(1, 'attn.c_attn')]: tf.ones([1, 32]) };
    const dir = await peftDir(ffAttn, { target_modules: ['c_attn'], feedforward_modules: ['c_attn'] });
    await expect(importHuggingFaceIa3(dir, model.spec)).rejects.toThrow(/feedforward_modules.*only the module holding 'ffn\.out'.*attn\.c_attn/);
    const oneLayer = await peftDir({ [KEY(0, 'attn.c_attn')]: tf.ones([96, 1]) }, {});
    await expect(importHuggingFaceIa3(oneLayer, model.spec)).rejects.toThrow(/h\.1\.attn\.c_attn\.ia3_l.*absent/);
    const lora = await peftDir({ [KEY(0, 'attn.c_attn')]: tf.ones([96, 1]) }, { peft_type: 'LORA' });
    await expect(importHuggingFaceIa3(lora, model.spec)).rejects.toThrow(AdapterMismatchError);
    await expect(importHuggingFaceIa3(lora, model.spec)).rejects.toThrow(/peft_type/);
    const other = await peftDir({ [KEY(0, 'attn.c_attn')]: tf.ones([96, 1]), [KEY(1, 'attn.c_attn')]: tf.ones([96, 1]), 'base_model.model.lm_head.weight': tf.ones([2, 2]) }, {});
    await expect(importHuggingFaceIa3(other, model.spec)).rejects.toThrow(/lm_head\.weight.*neither an IA³ vector/);
    const ok = await importHuggingFaceIa3(other, model.spec, { ignoreOtherTensors: true });
    expect(ok.method.config.targets).toEqual(['attn.q', 'attn.k', 'attn.v']);
    ok.instance.dispose();
    await expect(importHuggingFaceIa3(other, model.spec, { baseModel: 'gpt2' })).rejects.toThrow(/base_model_name_or_path/);
    tf.dispose(Object.values(ffAttn));
    model.dispose();
  });
});

describe('IA³ in a mix with LoRA (@peft/mam) on the tiny GPT-2', () => {
  it('shares attn.v with LoRA (chained in part order), merges and unmerges exactly, and round-trips through one adapter file', async () => {
    const model = await tinyGpt2();
    const base = logitsOf(model);
    const w0 = model.getLinearKernel(0, 'attn.v').dataSync().slice();
    const b0 = model.getLinearBias(0, 'attn.v')!.dataSync().slice();
    const method = mix(lora({ sites: ['attn.q', 'attn.v'], rank: 2, alpha: 4 }), ia3());
    const tuned = attach(model, method, { seed: 1 });
    expect(tuned.instance.params.count()).toBe(2 * (2 * 2 * (32 + 32)) + 2 * (32 + 32 + 128));
    randomise(tuned.trainableVariables(), 5);
    const mixed = logitsOf(model);
    expect(relDiff(mixed, base)).toBeGreaterThan(1e-2);

    // the other order is another model: (y + Δ) ∘ l ≠ y ∘ l + Δ
    const swapped = await tinyGpt2();
    const other = attach(swapped, mix(ia3(), lora({ sites: ['attn.q', 'attn.v'], rank: 2, alpha: 4 })), { seed: 1 });
    for (const [name, v] of tuned.instance.params.entries()) {
      other.instance.params.get(name.replace(/^lora0\./, 'lora1.').replace(/^ia31\./, 'ia30.')).assign(v);
    }
    expect(relDiff(logitsOf(swapped), mixed)).toBeGreaterThan(1e-4);
    other.dispose();
    swapped.dispose();

    tuned.merge();
    model.useMethod(null);
    expect(relDiff(logitsOf(model), mixed)).toBeLessThan(1e-5);
    model.useMethod(tuned.instance);
    tuned.unmerge(); // LoRA's W + Δ was then scaled by l: undone in the reverse order
    expect(relDiff(model.getLinearKernel(0, 'attn.v').dataSync(), w0)).toBeLessThan(1e-6);
    expect(relDiff(model.getLinearBias(0, 'attn.v')!.dataSync(), b0)).toBeLessThan(1e-6);
    expect(relDiff(logitsOf(model), mixed)).toBeLessThan(1e-5);

    const dir = newDir();
    await tuned.save(dir);
    const keys = [...(await readSafetensorsFile(join(dir, ADAPTER_WEIGHTS_FILE))).tensors.keys()].sort();
    expect(keys.filter((k) => k.startsWith('ia31.'))).toEqual([KEY(0, 'attn.c_attn'), KEY(0, 'mlp.c_proj'), KEY(1, 'attn.c_attn'), KEY(1, 'mlp.c_proj')].map((k) => `ia31.${k}`));
    tuned.dispose();
    model.dispose();
    const fresh = await tinyGpt2();
    const loaded = await loadAdapter(dir, fresh);
    expect(relDiff(logitsOf(fresh), mixed)).toBeLessThan(1e-6);
    loaded.dispose();
    fresh.dispose();
  });
});
