import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeMethod, methodFromDescriptor, type ModelSpec } from '@peft/core';
import { lora } from '../src/index.js';
import { TINY_GPT2, values } from './helpers.js';

// LoRA reads every fact of the model from its spec: site sizes (grouped-query k/v narrower than q), HF module names
// and layer path; it names no model.

/** A grouped-query model with a fused q|k|v module (q 8 wide, k and v 4 wide), named as a test model would be. */
const GQA: ModelSpec = {
  architecture: 'test-gqa',
  numLayers: 2,
  hiddenSize: 8,
  numHeads: 4,
  numKeyValueHeads: 2,
  headDim: 2,
  intermediateSize: 12,
  hf: {
    layersPath: 'model.layers',
    modules: [
      { name: 'self_attn.qkv_proj', sites: ['attn.q', 'attn.k', 'attn.v'], pattern: 'self_attn\\.qkv_proj' },
      { name: 'self_attn.o_proj', sites: ['attn.o'], pattern: 'self_attn\\.o_proj' },
      { name: 'mlp.up_proj', sites: ['ffn.in'], pattern: 'mlp\\.up_proj' },
      { name: 'mlp.down_proj', sites: ['ffn.out'], pattern: 'mlp\\.down_proj' },
    ],
    fanInFanOut: false,
    taskType: 'CAUSAL_LM',
  },
};

describe('LoRA on the facts of a spec', () => {
  it('sizes k and v by the key/value heads, and writes and reads a fused module with unequal blocks under the spec\'s names', () => {
    const method = lora({ sites: ['attn.q', 'attn.k', 'attn.v'], rank: 2, alpha: 4 });
    const a = method.init(GQA, { seed: 1 });
    const b = method.init(GQA, { seed: 2 });
    try {
      expect(a.params.get('layers.0.attn.k.lora_B')!.shape).toEqual([4, 2]);
      expect(a.params.get('layers.0.attn.q.lora_B')!.shape).toEqual([8, 2]);
      let t = 3;
      for (const [, v] of a.params.entries()) v.assign(tf.tidy(() => tf.tensor(values(t++, 0.3, v.shape), v.shape)));
      const { tensors, owned } = a.exportTensors!();
      expect(Object.keys(tensors).sort()).toEqual([
        'base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight',
        'base_model.model.model.layers.0.self_attn.qkv_proj.lora_B.weight',
        'base_model.model.model.layers.1.self_attn.qkv_proj.lora_A.weight',
        'base_model.model.model.layers.1.self_attn.qkv_proj.lora_B.weight',
      ]);
      expect(tensors['base_model.model.model.layers.0.self_attn.qkv_proj.lora_B.weight']!.shape).toEqual([16, 6]);
      b.importTensors!(tensors, 'test');
      if (owned) tf.dispose(Object.values(tensors));
      for (const [name, v] of a.params.entries()) {
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(v, b.params.get(name)!))).dataSync()[0]!);
        expect(diff, name).toBeLessThan(1e-6);
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('refuses PEFT\'s layout for a spec without HF names, and a site the model lacks, naming it', () => {
    const { hf: _hf, ...bare } = TINY_GPT2;
    const inst = lora({ sites: ['attn.q'], rank: 2, alpha: 4 }).init(bare);
    try {
      expect(() => inst.exportTensors!()).toThrow(ConfigError);
      expect(() => inst.exportTensors!()).toThrow(/model_spec\.hf.*names no Hugging Face modules/);
    } finally {
      inst.dispose();
    }
    expect(() => lora({ sites: ['ffn.gate'], rank: 2, alpha: 4 }).init(TINY_GPT2)).toThrow(/has no 'ffn\.gate' site/);
  });

  it("sites 'all' means the model's linear sites, listed in the instance's method", () => {
    const all = lora({ sites: 'all', rank: 2, alpha: 4 });
    const onGpt2 = all.init(TINY_GPT2);
    const gated: ModelSpec = {
      ...GQA,
      linearSites: {
        'attn.q': { inFeatures: 8, outFeatures: 8 },
        'attn.k': { inFeatures: 8, outFeatures: 4 },
        'attn.v': { inFeatures: 8, outFeatures: 4 },
        'attn.o': { inFeatures: 8, outFeatures: 8 },
        'ffn.gate': { inFeatures: 8, outFeatures: 12 },
        'ffn.in': { inFeatures: 8, outFeatures: 12 },
        'ffn.out': { inFeatures: 12, outFeatures: 8 },
      },
    };
    const onGated = all.init(gated);
    try {
      expect(onGpt2.method.config.sites).toEqual(['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out']);
      expect(onGpt2.method.config.allSites).toBeUndefined();
      expect(onGated.method.config.sites).toEqual(['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.gate', 'ffn.in', 'ffn.out']);
      expect(onGated.params.get('layers.1.ffn.gate.lora_B')!.shape).toEqual([12, 2]);
      // the unresolved method serialises and rebuilds as 'all'
      const again = methodFromDescriptor(describeMethod(all));
      expect((again.config as { allSites?: boolean }).allSites).toBe(true);
    } finally {
      onGpt2.dispose();
      onGated.dispose();
    }
    expect(() => lora({ sites: 'all', rank: { 'attn.q': 2 } as never })).toThrow(/lora\.rank.*one number with sites 'all'/);
  });
});
