import { PRESETS } from '@peft/mam';
import { describe, expect, it } from 'vitest';
import { getPreset, presetRegistry } from '../src/index.js';

describe('presets', () => {
  it("hold @peft/mam's registry entries themselves, not copies that can drift from them, and the recipes' `lora`", () => {
    const reg = presetRegistry();
    for (const [name, p] of Object.entries(PRESETS)) expect(reg[name], name).toBe(p);
    expect(Object.keys(reg)).toEqual([...Object.keys(PRESETS), 'lora']);
    expect(getPreset('nlu-inducer-mam')).toBe(PRESETS['nlu-inducer-mam']);
    expect(() => getPreset('no-such-preset')).toThrow(/no-such-preset/);
  });

  it("`lora` is PEFT's LoRA (loralib flavour) on the sites it names, W_q and W_v, r 8, α 16, dropout 0.05", () => {
    const m = getPreset('lora').build();
    expect(getPreset('lora')).toMatchObject({ family: 'nlg', paper: false }); // not in a sweep's default grid
    expect(m.type).toBe('lora');
    expect(m.config).toMatchObject({ sites: ['attn.q', 'attn.v'], rank: 8, alpha: 16, dropout: 0.05, flavour: 'loralib' });
    // on GPT-2 small: 12 layers × 2 sites × (8·768 + 768·8)
    const inst = m.init({ architecture: 'gpt2', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072 });
    try {
      expect(inst.params.count()).toBe(12 * 2 * 2 * 8 * 768);
    } finally {
      inst.dispose();
    }
  });
});
