import { ConfigError } from '@peft/core';
import { resolveLoraConfig, type LoraConfig, type LoraOptions } from '@peft/lora';

/**
 * A DoRA's configuration is a LoRA's (its sites, r, α, dropout, rsLoRA, layers, per-layer r/α, HF fields), in the
 * `loralib` flavour only: Hugging Face PEFT's DoRA is LoRA with `use_dora: true`, and KA's bias and scaling rule have
 * no counterpart there.
 */
export type DoraConfig = LoraConfig & { readonly flavour: 'loralib' };

/** What `dora()` accepts: LoRA's options and defaults (r = α = 8 on attn.q and attn.v, no dropout). */
export type DoraOptions = Omit<LoraOptions, 'flavour'> & { readonly flavour?: 'loralib' };

/**
 * Fills LoRA's defaults and validates with @peft/lora's own rules; an error names the field as `dora.<field>`, and an
 * unknown field is refused as it is for LoRA.
 */
export function resolveDoraConfig(options: unknown): DoraConfig {
  let config: LoraConfig;
  try {
    config = resolveLoraConfig(options);
  } catch (e) {
    if (!(e instanceof ConfigError) || !/^lora(\.|$)/.test(e.field)) throw e;
    const field = e.field.replace(/^lora/, 'dora');
    throw new ConfigError(field, e.message.slice(e.field.length + 2).replace(/one of the LoRA sites/g, 'one of the DoRA sites'));
  }
  if (config.flavour !== 'loralib') {
    throw new ConfigError('dora.flavour', `must be 'loralib' (Hugging Face PEFT's DoRA is loralib LoRA with use_dora; KA's bias and scaling have no DoRA form), got '${config.flavour}'`);
  }
  return config as DoraConfig;
}
