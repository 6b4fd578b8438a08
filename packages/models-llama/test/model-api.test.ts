import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, MissingTensorError, TensorShapeMismatchError, parseSafetensors, serializeSafetensors, typedArrayToEntry } from '@peft/core';
import { ArchitectureMismatchError, MissingCheckpointFileError, UnusedLayerTensorsError } from '@peft/models-base';
import { LlamaModel, loadLlama, parseLlamaConfig, ropeInverseFrequencies } from '@peft/models-llama';
import { FIXTURES_ROOT, TINY_LLAMA_DIR, TINY_QWEN2_DIR, tinyLlamaConfig, tinyQwen2Config } from './fixtures.js';
import { readReference } from './reference.js';

const reference = readReference();
const LLAMA = join(FIXTURES_ROOT, TINY_LLAMA_DIR);
const QWEN2 = join(FIXTURES_ROOT, TINY_QWEN2_DIR);

describe('config.json', () => {
  const base = tinyLlamaConfig(659);
  const fails = (json: Record<string, unknown>, field: string) => {
    let err: unknown;
    try {
      parseLlamaConfig(json, 'x/config.json');
    } catch (e) {
      err = e;
    }
    expect(err, field).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`x/config.json: ${field}`);
  };

  it('reads a Llama 3 config: GQA, head_dim, llama3 rope_scaling, tied head', () => {
    const c = parseLlamaConfig(base);
    expect(c).toMatchObject({ modelType: 'llama', hiddenSize: 64, numHeads: 4, numKeyValueHeads: 2, headDim: 16, numLayers: 2, intermediateSize: 128 });
    expect(c.ropeScaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 });
    expect(c).toMatchObject({ tieWordEmbeddings: true, qkvBias: false, oBias: false, mlpBias: false, bosTokenId: 656, eosTokenIds: [657], torchDtype: 'bfloat16' });
    expect(c.slidingWindows).toEqual([null, null]);
  });

  it("reads transformers 5's rope_parameters as the older rope_theta + rope_scaling", () => {
    const v5 = { ...base, rope_theta: undefined, rope_scaling: undefined, rope_parameters: { rope_type: 'linear', factor: 2, rope_theta: 5e5 } };
    const c = parseLlamaConfig(v5);
    expect(c.ropeTheta).toBe(5e5);
    expect(c.ropeScaling).toEqual({ type: 'linear', factor: 2 });
    // linear divides every frequency by its factor
    const plain = ropeInverseFrequencies(16, 5e5, { type: 'default' });
    ropeInverseFrequencies(16, 5e5, c.ropeScaling).forEach((v, i) => expect(v).toBeCloseTo(plain[i]! / 2, 12));
  });

  it('Qwen2 has q/k/v biases and no o_proj bias; Mistral neither; Llama as attention_bias says', () => {
    expect(parseLlamaConfig(tinyQwen2Config(659))).toMatchObject({ qkvBias: true, oBias: false, tieWordEmbeddings: false });
    expect(parseLlamaConfig({ ...base, model_type: 'mistral', attention_bias: true, sliding_window: null })).toMatchObject({ qkvBias: false, oBias: false });
    expect(parseLlamaConfig({ ...base, attention_bias: true, mlp_bias: true })).toMatchObject({ qkvBias: true, oBias: true, mlpBias: true });
  });

  it('sliding windows: Mistral on every layer (default 4096, null = none), Qwen2 only with use_sliding_window', () => {
    expect(parseLlamaConfig({ ...base, model_type: 'mistral', sliding_window: 8 }).slidingWindows).toEqual([8, 8]);
    expect(parseLlamaConfig({ ...base, model_type: 'mistral' }).slidingWindows).toEqual([4096, 4096]);
    expect(parseLlamaConfig({ ...base, model_type: 'mistral', sliding_window: null }).slidingWindows).toEqual([null, null]);
    const q = tinyQwen2Config(659);
    expect(parseLlamaConfig(q).slidingWindows).toEqual([null, null]);
    expect(parseLlamaConfig({ ...q, use_sliding_window: true, sliding_window: 16, max_window_layers: 1 }).slidingWindows).toEqual([null, 16]);
    expect(parseLlamaConfig({ ...q, use_sliding_window: true, sliding_window: 16, layer_types: ['sliding_attention', 'full_attention'] }).slidingWindows).toEqual([16, null]);
  });

  it('refuses what it does not implement with a typed error naming the field', () => {
    fails({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'rope_scaling.rope_type');
    fails({ ...base, rope_scaling: { type: 'dynamic', factor: 4 } }, 'rope_scaling.rope_type');
    fails({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1 } }, 'rope_scaling.high_freq_factor');
    fails({ ...base, partial_rotary_factor: 0.5 }, 'partial_rotary_factor');
    fails({ ...base, rope_scaling: undefined, rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 1e4 } } }, 'rope_parameters.full_attention');
    fails({ ...base, num_key_value_heads: 3 }, 'num_key_value_heads');
    fails({ ...base, hidden_act: 'gelu' }, 'hidden_act');
    fails({ ...base, head_dim: 15 }, 'head_dim');
    fails({ ...base, model_type: 'gpt2' }, 'model_type');
    fails({ ...base, hidden_size: undefined }, 'hidden_size');
    fails({ ...base, tie_word_embeddings: 'yes' }, 'tie_word_embeddings');
  });
});

describe('the model', () => {
  let llama: LlamaModel;
  let qwen2: LlamaModel;
  beforeAll(async () => {
    llama = await loadLlama(LLAMA);
    qwen2 = await loadLlama(QWEN2);
  });
  afterAll(() => {
    llama.dispose();
    qwen2.dispose();
  });

  it('describes itself: every linear site with its sizes, rotary positions, RMSNorm, Hugging Face module names', () => {
    const s = llama.spec;
    expect(s).toMatchObject({ architecture: 'llama', numLayers: 2, hiddenSize: 64, numHeads: 4, numKeyValueHeads: 2, headDim: 16, intermediateSize: 128, vocabSize: 659 });
    expect(s.linearSites).toEqual({
      'attn.q': { inFeatures: 64, outFeatures: 64 },
      'attn.k': { inFeatures: 64, outFeatures: 32 },
      'attn.v': { inFeatures: 64, outFeatures: 32 },
      'attn.o': { inFeatures: 64, outFeatures: 64 },
      'ffn.gate': { inFeatures: 64, outFeatures: 128 },
      'ffn.in': { inFeatures: 64, outFeatures: 128 },
      'ffn.out': { inFeatures: 128, outFeatures: 64 },
    });
    expect(s).toMatchObject({ positions: 'rotary', norm: 'rms-norm', causal: true, pastShiftsPositions: true });
    expect(s.hf).toMatchObject({ layersPath: 'model.layers', fanInFanOut: false, taskType: 'CAUSAL_LM' });
    expect(s.hf!.modules.map((m) => [m.name, m.sites])).toEqual([
      ['self_attn.q_proj', ['attn.q']],
      ['self_attn.k_proj', ['attn.k']],
      ['self_attn.v_proj', ['attn.v']],
      ['self_attn.o_proj', ['attn.o']],
      ['mlp.gate_proj', ['ffn.gate']],
      ['mlp.up_proj', ['ffn.in']],
      ['mlp.down_proj', ['ffn.out']],
    ]);
    for (const m of s.hf!.modules) expect(new RegExp(`(.*\\.)?(${m.pattern})$`).test(`model.layers.1.${m.name}`)).toBe(true);
    expect(qwen2.spec.architecture).toBe('qwen2');
  });

  it("counts its parameters as transformers' model.parameters() does (a tied head once)", () => {
    expect(llama.baseParameterCount()).toBe(reference.fixtures[TINY_LLAMA_DIR]!.parameters);
    expect(qwen2.baseParameterCount()).toBe(reference.fixtures[TINY_QWEN2_DIR]!.parameters);
  });

  it('linear weights in [in, out] layout, biases where the checkpoint has them; set and get round-trip', () => {
    const k = llama.getLinearKernel(1, 'attn.k');
    expect(k.shape).toEqual([64, 32]);
    expect(llama.getLinearBias(1, 'attn.k')).toBeUndefined();
    const qb = qwen2.getLinearBias(0, 'attn.q')!;
    expect(qb.shape).toEqual([48]);
    expect(qwen2.getLinearBias(0, 'attn.o')).toBeUndefined();
    const ids = tf.tensor2d([[5, 17, 300, 42]], undefined, 'int32');
    const before = tf.tidy(() => llama.forward({ inputIds: ids }).hidden);
    const changed = tf.tidy(() => tf.add(k, 0.1) as tf.Tensor2D);
    llama.setLinearKernel(1, 'attn.k', changed);
    const during = tf.tidy(() => llama.forward({ inputIds: ids }).hidden);
    llama.setLinearKernel(1, 'attn.k', k);
    const after = tf.tidy(() => llama.forward({ inputIds: ids }).hidden);
    expect(tf.max(tf.abs(tf.sub(before, during))).dataSync()[0]).toBeGreaterThan(1e-3);
    expect(tf.max(tf.abs(tf.sub(before, after))).dataSync()[0]).toBe(0);
    expect(() => llama.getLinearKernel(2, 'attn.q')).toThrow(ConfigError);
    expect(() => llama.setLinearKernel(0, 'ffn.gate', k)).toThrow(/mlp\.gate_proj/);
    tf.dispose([k, qb, ids, before, changed, during, after]);
  });

  it('refuses token types, a mask of the wrong width and a cache of the wrong depth', () => {
    const ids = tf.tensor2d([[5, 17]], undefined, 'int32');
    expect(() => llama.forward({ inputIds: ids, tokenTypeIds: ids })).toThrow(ConfigError);
    expect(() => llama.forward({ inputIds: ids, attentionMask: tf.tensor2d([[1, 1, 1]], undefined, 'int32') })).toThrow(/attentionMask/);
    expect(() => llama.forward({ inputIds: tf.tensor2d([[659]], undefined, 'int32') })).toThrow(/inputIds/);
    ids.dispose();
  });
});

describe('loading checkpoint folders', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'peft-llama-load-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  async function copy(from: string, name: string): Promise<string> {
    const dir = join(tmp, name);
    await cp(from, dir, { recursive: true });
    return dir;
  }
  async function editWeights(file: string, edit: (m: Map<string, ReturnType<typeof typedArrayToEntry>>) => void): Promise<void> {
    const parsed = parseSafetensors(new Uint8Array(await readFile(file)));
    const m = new Map(parsed.tensors);
    edit(m);
    await writeFile(file, serializeSafetensors(m, { format: 'pt' }));
  }

  it('a missing tensor is a MissingTensorError naming it; a wrong shape names the tensor and file', async () => {
    const dir = await copy(QWEN2, 'missing');
    await editWeights(join(dir, 'model.safetensors'), (m) => m.delete('model.layers.1.self_attn.k_proj.bias'));
    await expect(loadLlama(dir)).rejects.toThrow(MissingTensorError);
    await expect(loadLlama(dir)).rejects.toThrow(/model\.layers\.1\.self_attn\.k_proj\.bias/);
    const dir2 = await copy(QWEN2, 'shape');
    await editWeights(join(dir2, 'model.safetensors'), (m) => m.set('lm_head.weight', typedArrayToEntry(new Float32Array(659 * 47), [659, 47], 'F16')));
    await expect(loadLlama(dir2)).rejects.toThrow(TensorShapeMismatchError);
  });

  it('tensors the model does not use are reported; weights of more layers than the config counts are refused', async () => {
    const dir = await copy(QWEN2, 'unused');
    await editWeights(join(dir, 'model.safetensors'), (m) => m.set('model.extra.weight', typedArrayToEntry(new Float32Array(4), [4], 'F32')));
    const model = await loadLlama(dir);
    expect(model.loadReport.unusedTensors).toEqual(['model.extra.weight']);
    model.dispose();
    const dir2 = await copy(QWEN2, 'layers');
    const config = JSON.parse(await readFile(join(dir2, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir2, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 1 }));
    await expect(loadLlama(dir2)).rejects.toThrow(UnusedLayerTensorsError);
  });

  it('a shard the index lists but the folder lacks, and a GPT-2 folder, are typed errors', async () => {
    const dir = await copy(LLAMA, 'shard');
    await rm(join(dir, 'model-00002-of-00002.safetensors'));
    await expect(loadLlama(dir)).rejects.toThrow(MissingCheckpointFileError);
    await expect(loadLlama(join(FIXTURES_ROOT, 'tiny-gpt2'))).rejects.toThrow(ArchitectureMismatchError);
  });

  it('a tied model ignores an lm_head.weight in the file, as transformers does', async () => {
    const dir = await copy(LLAMA, 'tied-head');
    await editWeights(join(dir, 'model-00001-of-00002.safetensors'), (m) => m.set('lm_head.weight', typedArrayToEntry(new Float32Array(659 * 64), [659, 64], 'BF16')));
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    index.weight_map['lm_head.weight'] = 'model-00001-of-00002.safetensors';
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const model = await loadLlama(dir);
    expect(model.loadReport.unusedTensors).toEqual([]);
    expect(model.embedding).toBe(model.tokens);
    model.dispose();
  });
});
