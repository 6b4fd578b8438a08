import { ConfigError, describeMethod, methodFromDescriptor, type ModelSpec } from '@peft/core';
import { describe, expect, it } from 'vitest';
import { PRESETS, getPreset, heMamGlue, mamAdapter, prefixTuning, presetNames, presetParameterCount } from '@peft/mam';

const GPT2_SMALL: ModelSpec = { architecture: 'gpt2', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072 };
const ROBERTA_BASE: ModelSpec = { ...GPT2_SMALL, architecture: 'roberta' };
/** spec §5: base model sizes the percentages divide by. */
const BASE = { nlg: 124_439_808, nlu: 124_645_632 };

/**
 * spec §5's table, row by row, with the count it reports: `training` = every trainable parameter of the mix;
 * `inference` = without the prefix reparameterisation MLP (the HE MAM GLUE row counts 16·2·768·12 prefix entries).
 */
const SPEC_TOTALS: [string, number, 'training' | 'inference'][] = [
  ['inducer-lora', 2_002_320, 'training'],
  ['inducer-no-lora', 2_003_472, 'training'],
  ['inducer-mam', 2_020_248, 'training'],
  ['adapter-108', 2_019_600, 'training'],
  ['lora-54', 2_009_088, 'training'],
  ['nlu-inducer-lora', 609_120, 'training'],
  ['nlu-inducer-mam', 599_760, 'training'],
  ['nlu-inducer-no-lora', 609_696, 'training'],
  ['he-mam-glue', 599_232, 'inference'],
];

describe('presets: spec §5 parameter totals, by creating each preset on GPT-2 small / RoBERTa-base', () => {
  for (const [name, total, kind] of SPEC_TOTALS) {
    it(`${name}: ${kind} count = ${total.toLocaleString('en')}`, () => {
      const preset = getPreset(name);
      expect(preset.countedAs).toBe(kind);
      const spec = preset.family === 'nlg' ? GPT2_SMALL : ROBERTA_BASE;
      const counts = presetParameterCount(name, spec);
      expect(counts[kind]).toBe(total);
      expect(counts.stored).toBe(total); // what the adapter file holds is what the paper counts, in every row
      expect(counts.inference).toBe(counts.stored);
      if (kind === 'training') expect(counts.inference).toBe(counts.training);
      else expect(counts.training).toBeGreaterThan(counts.inference);
      const percent = (100 * total) / BASE[preset.family];
      expect(Math.abs(percent - preset.paperPercent!)).toBeLessThan(6e-4);
    });
  }

  it('he-mam-glue trains its reparameterisation MLP on top: 16·768 + 768·800 + 800 + 800·18,432 + 18,432 more', () => {
    const { training, inference } = presetParameterCount('he-mam-glue', ROBERTA_BASE);
    const mlp = 16 * 768 + 768 * 800 + 800 + 800 * 18_432 + 18_432;
    expect(training - inference).toBe(mlp - 18_432 * 16);
    expect(inference - 18_432 * 16).toBe(12 * (768 * 16 + 16 + 16 * 768 + 768));
  });

  it('prefix-tuning and the XSum MAM adapter count as spec §4.3 / §4.4 say', () => {
    const p = presetParameterCount('prefix-tuning', GPT2_SMALL);
    expect(p.inference).toBe(18_432 * 109);
    expect(p.training).toBe(109 * 768 + 768 * 512 + 512 + 512 * 18_432 + 18_432);
    const m = presetParameterCount('mam-adapter', GPT2_SMALL);
    expect(m.inference).toBe(18_432 * 30 + 12 * (1537 * 512 + 768));
  });
});

describe('presets: composition', () => {
  it('each preset is the mix of the spec (bottlenecks, flavours, scales)', () => {
    const parts = (name: string) => (getPreset(name).build().config.parts as { type: string; config: Record<string, unknown> }[]);
    expect(parts('inducer-lora').map((p) => p.type)).toEqual(['inducer', 'lora']);
    expect(parts('inducer-lora')[1]!.config).toMatchObject({ sites: ['attn.q'], rank: 24, alpha: 32, dropout: 0.1, flavour: 'ka' });
    expect(parts('inducer-mam')[0]!.config).toMatchObject({ keyRank: 3, valueRank: 7, valueExtension: true });
    expect(parts('inducer-mam')[2]!.config).toMatchObject({ placement: ['ffn-parallel'], reductionFactor: 18.2, layerNormBefore: true, scale: 1, init: 'bert' });
    expect(parts('adapter-108')[0]!.config).toMatchObject({ placement: ['attn-output'], reductionFactor: 7.11, layerNormBefore: true });
    expect(parts('lora-54')[0]!.config).toMatchObject({ sites: ['attn.q', 'attn.v'], rank: 54, flavour: 'ka' });
    expect(parts('nlu-inducer-lora')[1]!.config).toMatchObject({ rank: 4, alpha: 32, flavour: 'loralib' });
    expect(parts('nlu-inducer-mam')[2]!.config).toMatchObject({ placement: ['ffn-parallel'], bottleneck: 12, scale: 2, init: 'lora', layerNormBefore: false, dropout: 0.1 });
    expect(parts('he-mam-glue')[0]!.config).toMatchObject({ length: 16, midDim: 800, init: 'torch-default' });
    expect(parts('mam-adapter')[1]!.config).toMatchObject({ bottleneck: 512, scale: 4, init: 'lora' });
    expect(prefixTuning(20, 256).config.parts[0]!.config).toMatchObject({ length: 20, midDim: 256, init: 'hf', reparameterize: true });
    expect(mamAdapter({ prefixLength: 16, ffnBottleneck: 16, scale: 2 }).config.parts).toEqual(heMamGlue().config.parts);
  });

  it('the factors give KA bottlenecks 108 and 42 on d = 768', () => {
    const a = getPreset('adapter-108').build().init(GPT2_SMALL);
    expect(a.params.get('adapter0.layers.11.attn_output.down.weight').shape).toEqual([768, 108]);
    a.dispose();
    const m = getPreset('inducer-mam').build().init(GPT2_SMALL);
    expect(m.params.get('adapter2.layers.0.ffn_parallel.up.weight').shape).toEqual([42, 768]);
    m.dispose();
  });

  it('every preset has a name, a family, rebuilds from its descriptor, and unknown names are refused', () => {
    expect(presetNames()).toHaveLength(11);
    for (const [name, p] of Object.entries(PRESETS)) {
      const m = p.build();
      expect(m.describe()).toMatch(new RegExp(`^${m.config.name}: `));
      expect(['nlg', 'nlu']).toContain(p.family);
      const again = methodFromDescriptor(JSON.parse(JSON.stringify(describeMethod(m))));
      expect(again.config, name).toEqual(m.config);
    }
    expect(() => getPreset('lora-55')).toThrow(ConfigError);
    expect(() => presetParameterCount('nope', GPT2_SMALL)).toThrow(/known: inducer-lora/);
  });
});
