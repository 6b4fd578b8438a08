import type { PeftMethod } from '@peft/core';
import * as mam from '@peft/mam';
import { inducer } from '@peft/inducer';
import { lora } from '@peft/lora';
import { UnknownNameError } from './errors.js';

/** A named method configuration of the paper (built fresh on every call). */
export interface Preset {
  build(): PeftMethod;
  readonly family: 'nlg' | 'nlu';
  readonly description?: string;
}

/**
 * The minimal presets this package needs if @peft/mam does not (yet) export its `PRESETS` registry: the spec's inducer +
 * LoRA configurations (§12: NLG r_k 5, r_v 12, LoRA-Q 24 α 32; NLU r_k 2, r_v 4, LoRA-Q 4 α 32).
 */
const FALLBACK_PRESETS: Record<string, Preset> = {
  'inducer-lora': {
    family: 'nlg',
    description: 'inducer (r_k 5, r_v 12) + LoRA-Q r 24 α 32 (KA nlg/configs/inducer-lora.json)',
    build: () => mam.mix(inducer({ keyRank: 5, valueRank: 12 }), lora({ sites: ['attn.q'], rank: 24, alpha: 32, dropout: 0.1, flavour: 'ka' })),
  },
  'nlu-inducer-lora': {
    family: 'nlu',
    description: 'inducer (r_k 2, r_v 4) + LoRA-Q r 4 α 32 (KA nlu run_glue.sh)',
    build: () => mam.mix(inducer({ keyRank: 2, valueRank: 4 }), lora({ sites: ['attn.q'], rank: 4, alpha: 32, dropout: 0.1, flavour: 'loralib' })),
  },
};

/** The preset registry: @peft/mam's `PRESETS` when it exports one, else the fallback above. */
export function presetRegistry(): Readonly<Record<string, Preset>> {
  const fromMam = (mam as unknown as { PRESETS?: Record<string, Preset> }).PRESETS;
  return fromMam && Object.keys(fromMam).length ? fromMam : FALLBACK_PRESETS;
}

export function getPreset(name: string): Preset {
  const reg = presetRegistry();
  const p = reg[name];
  if (!p) throw new UnknownNameError('preset', name, Object.keys(reg));
  return p;
}
