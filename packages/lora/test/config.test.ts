import { describe, expect, it } from 'vitest';
import { ConfigError, methodFromDescriptor, describeMethod } from '@peft/core';
import { lora, loraScaling, resolveLoraConfig } from '../src/index.js';

describe('LoRA config', () => {
  it('fills the Hugging Face PEFT defaults', () => {
    expect(resolveLoraConfig({})).toEqual({ sites: ['attn.q', 'attn.v'], rank: 8, alpha: 8, dropout: 0, flavour: 'loralib' });
  });

  it('puts sites in canonical order and keeps per-site maps', () => {
    const c = resolveLoraConfig({ sites: ['attn.v', 'attn.q'], rank: { 'attn.q': 4, 'attn.v': 2 }, alpha: 32 });
    expect(c.sites).toEqual(['attn.q', 'attn.v']);
    expect(c.rank).toEqual({ 'attn.q': 4, 'attn.v': 2 });
  });

  it.each([
    [{ sites: [] }, 'lora.sites'],
    [{ sites: ['attn.x'] }, 'lora.sites'],
    [{ sites: ['attn.q', 'attn.q'] }, 'lora.sites'],
    [{ rank: 0 }, 'lora.rank'],
    [{ rank: 1.5 }, 'lora.rank'],
    [{ rank: { 'attn.q': 4 } }, 'lora.rank.attn.v'],
    [{ rank: { 'attn.q': 4, 'attn.v': 4, 'ffn.in': 4 } }, 'lora.rank.ffn.in'],
    [{ alpha: -1 }, 'lora.alpha'],
    [{ dropout: 1 }, 'lora.dropout'],
    [{ flavour: 'hf' }, 'lora.flavour'],
    [{ rnak: 4 }, 'lora.rnak'],
    [{ hf: { task: 'x' } }, 'lora.hf.task'],
  ])('rejects %j naming %s', (bad, field) => {
    let err: unknown;
    try {
      lora(bad as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });

  it('scales by α/r, except KA with α ≤ 1.5 which uses 1', () => {
    expect(loraScaling('ka', 32, 2)).toBe(16);
    expect(loraScaling('ka', 32, 24)).toBeCloseTo(4 / 3, 15);
    expect(loraScaling('ka', 1.5, 4)).toBe(1);
    expect(loraScaling('ka', 1, 4)).toBe(1);
    expect(loraScaling('loralib', 1, 4)).toBe(0.25);
    expect(loraScaling('loralib', 32, 16)).toBe(2);
  });

  it('rebuilds from its descriptor (adapter_config.json peft_method)', () => {
    const m = lora({ sites: ['attn.q'], rank: 4, alpha: 32, dropout: 0.1, flavour: 'ka' });
    const json = JSON.parse(JSON.stringify(describeMethod(m)));
    const back = methodFromDescriptor(json);
    expect(back.type).toBe('lora');
    expect(back.config).toEqual(m.config);
    expect(back.describe()).toBe('LoRA (ka) on attn.q r=4, α=32, dropout 0.1');
  });
});
