import { PRESETS } from '@peft/mam';
import { describe, expect, it } from 'vitest';
import { getPreset, presetRegistry } from '../src/index.js';

describe('presets', () => {
  it("are @peft/mam's registry itself, not a copy that can drift from it", () => {
    expect(presetRegistry()).toBe(PRESETS);
    expect(getPreset('nlu-inducer-mam')).toBe(PRESETS['nlu-inducer-mam']);
    expect(() => getPreset('no-such-preset')).toThrow(/no-such-preset/);
  });
});
