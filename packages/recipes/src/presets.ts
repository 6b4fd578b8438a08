import type { PeftMethod } from '@peft/core';
import { PRESETS } from '@peft/mam';
import { UnknownNameError } from './errors.js';

/** A named method configuration of the paper (built fresh on every call). */
export interface Preset {
  build(): PeftMethod;
  readonly family: 'nlg' | 'nlu';
  readonly description?: string;
}

/** The preset registry: @peft/mam's `PRESETS`, the one definition of the paper's configurations. */
export function presetRegistry(): Readonly<Record<string, Preset>> {
  return PRESETS;
}

export function getPreset(name: string): Preset {
  const reg = presetRegistry();
  const p = reg[name];
  if (!p) throw new UnknownNameError('preset', name, Object.keys(reg));
  return p;
}
