import type { PeftMethod } from '@peft/core';
import { lora } from '@peft/lora';
import { PRESETS } from '@peft/mam';
import { UnknownNameError } from './errors.js';

/** A named method configuration (built fresh on every call). */
export interface Preset {
  build(): PeftMethod;
  readonly family: 'nlg' | 'nlu';
  readonly description?: string;
  /** false: not one of the paper's configurations (a sweep's default grid, the paper's rows, leaves it out). */
  readonly paper?: false;
}

/**
 * Presets of the recipes beside the paper's: `lora` is Hugging Face PEFT's LoRA (the 'loralib' flavour, so its
 * adapter is in PEFT's file layout and loads in PEFT) on the sites it names, W_q and W_v (PEFT's default targets for
 * Llama-family models), r 8, α 16, dropout 0.05 (alpaca-lora's values). It names sites, not modules: on GPT-2 the
 * same sites are the q and v blocks of the fused c_attn; a model without one of them is refused with an error
 * naming the site.
 */
const RECIPE_PRESETS: Readonly<Record<string, Preset>> = Object.freeze({
  lora: {
    family: 'nlg',
    paper: false,
    build: () => lora({ sites: ['attn.q', 'attn.v'], rank: 8, alpha: 16, dropout: 0.05, flavour: 'loralib' }),
  },
});

/** The preset registry: @peft/mam's `PRESETS` (the one definition of the paper's configurations) and the recipes' own. */
export function presetRegistry(): Readonly<Record<string, Preset>> {
  return { ...PRESETS, ...RECIPE_PRESETS };
}

export function getPreset(name: string): Preset {
  const reg = presetRegistry();
  const p = reg[name];
  if (!p) throw new UnknownNameError('preset', name, Object.keys(reg));
  return p;
}
