import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  MissingTensorError,
  TensorShapeMismatchError,
  parseSafetensors,
  serializeSafetensors,
  typedArrayToEntry,
  entryToTypedArray,
  type SafetensorsEntry,
} from '@peft/core';
import {
  ArchitectureMismatchError,
  Gpt2Model,
  MissingCheckpointFileError,
  RobertaModel,
  TensorDtypeError,
  loadGpt2,
  loadModel,
  loadRoberta,
} from '../src/index.js';
import { TINY_GPT2, TINY_ROBERTA } from './helpers.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'peft-load-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const fixtureTensors = (dir: string) => {
  const buf = readFileSync(join(dir, 'model.safetensors'));
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)).tensors;
};

/** A copy of a fixture with its tensors edited by `edit` (config.json copied, or replaced by `config`). */
async function variant(
  name: string,
  from: string,
  edit: (t: Map<string, SafetensorsEntry>) => void,
  config?: Record<string, unknown>,
): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  const tensors = new Map(fixtureTensors(from));
  edit(tensors);
  await writeFile(join(dir, 'model.safetensors'), serializeSafetensors(tensors));
  if (config) await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  else await copyFile(join(from, 'config.json'), join(dir, 'config.json'));
  return dir;
}

const gpt2Config = () => JSON.parse(readFileSync(join(TINY_GPT2, 'config.json'), 'utf8')) as Record<string, unknown>;

async function expectNoLeak(f: () => Promise<unknown>): Promise<unknown> {
  const before = tf.memory().numTensors;
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(tf.memory().numTensors).toBe(before);
  return err;
}

describe('loading checkpoint directories', () => {
  it('loadModel dispatches on model_type and reports nothing unused for the HF-layout fixtures', async () => {
    const g = await loadModel(TINY_GPT2);
    const r = await loadModel(TINY_ROBERTA);
    expect(g).toBeInstanceOf(Gpt2Model);
    expect(r).toBeInstanceOf(RobertaModel);
    expect(g.loadReport.unusedTensors).toEqual([]);
    // roberta: pooler, position_ids buffer ignored; the absent head is initialised
    expect(r.loadReport.unusedTensors).toEqual([]);
    expect(r.loadReport.initialisedTensors).toEqual([
      'classifier.dense.weight',
      'classifier.dense.bias',
      'classifier.out_proj.weight',
      'classifier.out_proj.bias',
    ]);
    expect(g.spec).toMatchObject({ architecture: 'gpt2', numLayers: 2, hiddenSize: 32, numHeads: 4, headDim: 8, intermediateSize: 128, vocabSize: 657 });
    expect(r.spec).toMatchObject({ architecture: 'roberta', numLayers: 2, hiddenSize: 32, numHeads: 4, headDim: 8, intermediateSize: 64, vocabSize: 661 });
    // the facts each model owns: position scheme, causality, the past's position shift, HF names, quirks
    expect(g.spec).toMatchObject({ numKeyValueHeads: 4, positions: 'learned-absolute', norm: 'layer-norm', causal: true, pastShiftsPositions: true });
    expect(g.spec.hf).toMatchObject({ layersPath: 'transformer.h', fanInFanOut: true, taskType: 'CAUSAL_LM' });
    expect(g.spec.linearSites).toEqual({
      'attn.q': { inFeatures: 32, outFeatures: 32 },
      'attn.k': { inFeatures: 32, outFeatures: 32 },
      'attn.v': { inFeatures: 32, outFeatures: 32 },
      'attn.o': { inFeatures: 32, outFeatures: 32 },
      'ffn.in': { inFeatures: 32, outFeatures: 128 },
      'ffn.out': { inFeatures: 128, outFeatures: 32 },
    });
    expect(r.spec).toMatchObject({ causal: false, pastShiftsPositions: false, quirks: { lambdaIgnoresPaddingMask: true } });
    expect(r.spec.hf).toMatchObject({ layersPath: 'roberta.encoder.layer', fanInFanOut: false, taskType: 'SEQ_CLS', headModule: 'classifier' });
    expect(r.spec.hf?.modules.map((m) => m.name)).toEqual([
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
      'intermediate.dense',
      'output.dense',
    ]);
    g.dispose();
    r.dispose();
  });

  it('no config.json: MissingCheckpointFileError E_NO_CONFIG naming the file', async () => {
    const dir = join(tmp, 'empty');
    await mkdir(dir, { recursive: true });
    const e = (await expectNoLeak(() => loadModel(dir))) as MissingCheckpointFileError;
    expect(e).toBeInstanceOf(MissingCheckpointFileError);
    expect(e.code).toBe('E_NO_CONFIG');
    expect(e.message).toContain(join(dir, 'config.json'));
  });

  it('a folder without weights: E_NO_WEIGHTS, mentioning a PyTorch .bin when there is one', async () => {
    const dir = join(tmp, 'no-weights');
    await mkdir(dir, { recursive: true });
    await copyFile(join(TINY_GPT2, 'config.json'), join(dir, 'config.json'));
    await expect(loadGpt2(dir)).rejects.toMatchObject({ code: 'E_NO_WEIGHTS', constructor: MissingCheckpointFileError });
    await writeFile(join(dir, 'pytorch_model.bin'), 'not really');
    await expect(loadGpt2(dir)).rejects.toThrow(/pytorch_model\.bin.*convert/);
  });

  it('the other architecture: loadGpt2 on a RoBERTa directory and the reverse', async () => {
    const e = (await expectNoLeak(() => loadGpt2(TINY_ROBERTA))) as ArchitectureMismatchError;
    expect(e).toBeInstanceOf(ArchitectureMismatchError);
    expect([e.expected, e.found]).toEqual(["'gpt2'", 'roberta']);
    await expect(loadRoberta(TINY_GPT2)).rejects.toBeInstanceOf(ArchitectureMismatchError);
    const dir = join(tmp, 'bert');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    await expect(loadModel(dir)).rejects.toThrow(/model_type is 'bert'/);
  });

  it('a missing tensor: MissingTensorError naming it, and nothing leaks', async () => {
    const dir = await variant('missing', TINY_GPT2, (t) => t.delete('h.1.ln_2.bias'));
    const e = (await expectNoLeak(() => loadGpt2(dir))) as MissingTensorError;
    expect(e).toBeInstanceOf(MissingTensorError);
    expect(e.tensor).toBe('h.1.ln_2.bias');
  });

  it('a wrong shape: TensorShapeMismatchError with expected and found shapes', async () => {
    const dir = await variant('shape', TINY_GPT2, (t) => t.set('h.0.attn.c_attn.weight', typedArrayToEntry(new Float32Array(96 * 32), [96, 32])));
    const e = (await expectNoLeak(() => loadGpt2(dir))) as TensorShapeMismatchError;
    expect(e).toBeInstanceOf(TensorShapeMismatchError);
    expect([e.tensor, e.expected, e.found]).toEqual(['h.0.attn.c_attn.weight', [32, 96], [96, 32]]);
  });

  it('an integer tensor where a float weight is expected: TensorDtypeError', async () => {
    const dir = await variant('dtype', TINY_ROBERTA, (t) =>
      t.set('roberta.encoder.layer.1.output.dense.bias', typedArrayToEntry(new Int32Array(32), [32], 'I64')),
    );
    const e = (await expectNoLeak(() => loadRoberta(dir))) as TensorDtypeError;
    expect(e).toBeInstanceOf(TensorDtypeError);
    expect([e.tensor, e.found]).toEqual(['roberta.encoder.layer.1.output.dense.bias', 'I64']);
  });

  it('a bad config field: ConfigError naming the file and field', async () => {
    const dir = await variant('badcfg', TINY_GPT2, () => undefined, { ...gpt2Config(), n_head: 5 });
    await expect(loadGpt2(dir)).rejects.toBeInstanceOf(ConfigError);
    await expect(loadGpt2(dir)).rejects.toThrow(/config\.json: n_head/);
  });

  it('the transformer. prefix, attn.bias buffers and a tied lm_head are accepted; unknown tensors reported', async () => {
    const dir = await variant('prefixed', TINY_GPT2, (t) => {
      for (const [k, v] of [...t]) {
        t.delete(k);
        t.set(`transformer.${k}`, v);
      }
      t.set('transformer.h.0.attn.bias', typedArrayToEntry(new Float32Array(16), [1, 1, 4, 4]));
      t.set('transformer.h.0.attn.masked_bias', typedArrayToEntry(new Float32Array([-1e4]), []));
      t.set('lm_head.weight', t.get('transformer.wte.weight')!);
      t.set('something.else', typedArrayToEntry(new Float32Array(2), [2]));
    });
    const a = await loadGpt2(dir);
    const b = await loadGpt2(TINY_GPT2);
    expect(a.loadReport.unusedTensors).toEqual(['something.else']);
    const ids = tf.tensor2d([[3, 4, 5]], undefined, 'int32');
    const ha = a.forward({ inputIds: ids }).hidden;
    const hb = b.forward({ inputIds: ids }).hidden;
    expect(Array.from(ha.dataSync())).toEqual(Array.from(hb.dataSync()));
    tf.dispose([ids, ha, hb]);
    a.dispose();
    b.dispose();
  });

  it('F16 and BF16 weights are upcast to float32', async () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const dir = await variant(`half-${dtype}`, TINY_GPT2, (t) => {
        for (const [k, v] of [...t]) t.set(k, typedArrayToEntry(entryToTypedArray(v), v.shape, dtype));
      });
      const half = await loadGpt2(dir);
      const want = entryToTypedArray(typedArrayToEntry(entryToTypedArray(fixtureTensors(TINY_GPT2).get('h.1.mlp.c_fc.weight')!), [32, 128], dtype));
      const got = half.getLinearKernel(1, 'ffn.in');
      expect(got.dtype).toBe('float32');
      expect(Array.from(got.dataSync())).toEqual(Array.from(want));
      got.dispose();
      half.dispose();
    }
  });

  it('RoBERTa without the roberta. prefix, and with its own classification head (loaded, not initialised)', async () => {
    const dir = await variant(
      'roberta-head',
      TINY_ROBERTA,
      (t) => {
        for (const [k, v] of [...t]) {
          t.delete(k);
          t.set(k.replace(/^roberta\./, ''), v);
        }
        const values = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => s * Math.sin(i));
        t.set('classifier.dense.weight', typedArrayToEntry(values(32 * 32, 0.1), [32, 32]));
        t.set('classifier.dense.bias', typedArrayToEntry(values(32, 0.01), [32]));
        t.set('classifier.out_proj.weight', typedArrayToEntry(values(3 * 32, 0.2), [3, 32]));
        t.set('classifier.out_proj.bias', typedArrayToEntry(new Float32Array([1, 2, 3]), [3]));
      },
      { ...JSON.parse(readFileSync(join(TINY_ROBERTA, 'config.json'), 'utf8')), id2label: { 0: 'a', 1: 'b', 2: 'c' } },
    );
    const m = await loadRoberta(dir);
    expect(m.numLabels).toBe(3);
    expect(m.loadReport.initialisedTensors).toEqual([]);
    const hidden = tf.zeros([1, 2, 32]) as tf.Tensor3D;
    const logits = m.classify(hidden);
    // zero input: tanh(b_dense)·W_outᵀ + b_out
    const bd = Array.from({ length: 32 }, (_, i) => Math.tanh(0.01 * Math.sin(i)));
    const want = [0, 1, 2].map((c) => bd.reduce((s, x, i) => s + x * Math.fround(0.2 * Math.sin(c * 32 + i)), 0) + c + 1);
    const got = Array.from(logits.dataSync());
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
    tf.dispose([hidden, logits]);
    m.dispose();
  });

  it('an absent head is initialised N(0, 0.02) with zero biases, seeded', async () => {
    const a = await loadRoberta(TINY_ROBERTA, { numLabels: 3, seed: 1 });
    const b = await loadRoberta(TINY_ROBERTA, { numLabels: 3, seed: 1 });
    const c = await loadRoberta(TINY_ROBERTA, { numLabels: 3, seed: 2 });
    const k = (m: RobertaModel) => m['weights'].classifier.dense.getKernel();
    const [ka, kb, kc] = [k(a), k(b), k(c)];
    const v = Array.from(ka.dataSync());
    const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    expect(Array.from(kb.dataSync())).toEqual(v);
    expect(Array.from(kc.dataSync())).not.toEqual(v);
    const ob = a['weights'].classifier.outProj.getBias()!;
    expect(Array.from(ob.dataSync())).toEqual([0, 0, 0]);
    tf.dispose([ka, kb, kc, ob]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('sharded checkpoints (model.safetensors.index.json) load like a single file', async () => {
    const dir = join(tmp, 'sharded');
    await mkdir(dir, { recursive: true });
    const all = fixtureTensors(TINY_GPT2);
    const names = [...all.keys()];
    const shards = [names.filter((_, i) => i % 2 === 0), names.filter((_, i) => i % 2 === 1)];
    const weightMap: Record<string, string> = {};
    for (const [s, part] of shards.entries()) {
      const file = `model-0000${s + 1}-of-00002.safetensors`;
      await writeFile(join(dir, file), serializeSafetensors(new Map(part.map((n) => [n, all.get(n)!]))));
      for (const n of part) weightMap[n] = file;
    }
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    await copyFile(join(TINY_GPT2, 'config.json'), join(dir, 'config.json'));
    const m = await loadGpt2(dir);
    expect(m.loadReport.unusedTensors).toEqual([]);
    m.dispose();
  });
});
