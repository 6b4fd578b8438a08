import { ConfigError, storedParameterCount, type ModelSpec } from '@peft/core';
import { adapter } from '@peft/adapter';
import { inducer } from '@peft/inducer';
import { lora } from '@peft/lora';
import { prefix } from '@peft/prefix';
import { mix, type MixMethod } from './mix.js';

/*
 * The methods of the inducer-tuning paper's comparisons (spec §4.4, §4.5, §5), each the exact `mix(…)` of the
 * authors' configs. Bottlenecks given as KA's `task_reduction_factor` stay factors (768 // 7.11 = 108,
 * 768 // 18.2 = 42 on d = 768); the others are absolute sizes.
 */

/** KA LoRA (NLG): bias b, α/r scaling, dropout 0.1 on the input (`lora_alpha: 32`, `lora_dropout: 0.1`). */
const kaLoraQ = (rank: number) => lora({ sites: ['attn.q'], rank, alpha: 32, dropout: 0.1, flavour: 'ka' });
/** He et al.'s loralib LoRA (NLU): no bias, α/r always. */
const loralibQ = (rank: number) => lora({ sites: ['attn.q'], rank, alpha: 32, dropout: 0.1, flavour: 'loralib' });
/** He et al.'s scaled parallel FFN adapter: 'lora' init (a no-op at start), no LN, dropout = hidden_dropout_prob 0.1. */
const heParallelFfn = (bottleneck: number, scale: number) =>
  adapter({ placement: 'ffn-parallel', bottleneck, scale, init: 'lora', dropout: 0.1 });

// ---- NLG (GPT-2 small) ----

/** KA `inducer-lora.json`: inducer r_k 5, r_v 12 + KA LoRA on W_q, r 24. 2,002,320 parameters. */
export function inducerLora(): MixMethod {
  return mix(inducer({ keyRank: 5, valueRank: 12 }), kaLoraQ(24)).withName('inducer-lora');
}

/** KA `inducer-no-lora.json`: inducer r_k 10, r_v 15. 2,003,472 parameters. */
export function inducerNoLora(): MixMethod {
  return mix(inducer({ keyRank: 10, valueRank: 15 })).withName('inducer-no-lora');
}

/**
 * KA `inducer-mam.json`: inducer r_k 3, r_v 7 + KA LoRA-Q r 16 + "Lin" parallel FFN adapter (factor 18.2 → 42,
 * LN before, ReLU, scale 1, 'bert' init). 2,020,248 parameters (the adapter's LN included).
 */
export function mamInducer(): MixMethod {
  return mix(
    inducer({ keyRank: 3, valueRank: 7 }),
    kaLoraQ(16),
    adapter({ placement: 'ffn-parallel', reductionFactor: 18.2, layerNormBefore: true, activation: 'relu', scale: 1, init: 'bert' }),
  ).withName('inducer-mam');
}

/** KA `pfeiffer-adapter.json`: a sequential adapter after attention, factor 7.11 → 108, LN before. 2,019,600 parameters. */
export function adapter108(): MixMethod {
  return mix(adapter({ placement: 'attn-output', reductionFactor: 7.11, layerNormBefore: true, activation: 'relu', init: 'bert' })).withName(
    'adapter-108',
  );
}

/** KA LoRA on W_q and W_v, r 54 each, with KA's biases (`lora: "QV"`). 2,009,088 parameters. */
export function lora54(): MixMethod {
  return mix(lora({ sites: ['attn.q', 'attn.v'], rank: 54, alpha: 32, dropout: 0.1, flavour: 'ka' })).withName('lora-54');
}

/**
 * Prefix-tuning as KA NLG builds it (`prefix_tuning: "reparameterization"`, HF init, positions shifted by L).
 * 18,432·L parameters at inference; L = 109 matches the paper's 1.61 % budget (spec §4.3).
 */
export function prefixTuning(length: number, midDim = 512): MixMethod {
  return mix(prefix({ length, midDim, init: 'hf' })).withName(`prefix-${length}`);
}

export interface MamAdapterOptions {
  /** Default 30 (He et al., XSum / en-ro). */
  readonly prefixLength?: number;
  /** Default 800 (He et al.'s `--mid_dim`). */
  readonly midDim?: number;
  /** Default 512. */
  readonly ffnBottleneck?: number;
  /** Default 4. */
  readonly scale?: number;
}

/**
 * He et al.'s MAM adapter: prefix-tuning (reparameterised, PyTorch-default init) + a scaled parallel FFN adapter.
 * Defaults are the XSum setting (prefix 30, FFN 512, s 4); {@link heMamGlue} is the GLUE one.
 */
export function mamAdapter(options: MamAdapterOptions = {}): MixMethod {
  const { prefixLength = 30, midDim = 800, ffnBottleneck = 512, scale = 4 } = options;
  return mix(prefix({ length: prefixLength, midDim, init: 'torch-default' }), heParallelFfn(ffnBottleneck, scale)).withName(
    `mam-adapter-${prefixLength}-${ffnBottleneck}`,
  );
}

// ---- NLU (RoBERTa-base) ----

/** KA `run_glue.sh` active block: inducer r_k 2, r_v 4 + loralib LoRA-Q r 4. 609,120 parameters. */
export function nluInducerLora(): MixMethod {
  return mix(inducer({ keyRank: 2, valueRank: 4 }), loralibQ(4)).withName('nlu-inducer-lora');
}

/** KA `run_glue.sh` "inducer + para_ffn": inducer 2, 2 + loralib LoRA-Q 4 + HE parallel FFN 12, s 2. 599,760 parameters. */
export function nluMamInducer(): MixMethod {
  return mix(inducer({ keyRank: 2, valueRank: 2 }), loralibQ(4), heParallelFfn(12, 2)).withName('nlu-inducer-mam');
}

/** Inducer r_k 6, r_v 4, no LoRA. 609,696 parameters. */
export function nluInducerNoLora(): MixMethod {
  return mix(inducer({ keyRank: 6, valueRank: 4 })).withName('nlu-inducer-no-lora');
}

/** He et al.'s GLUE MAM: prefix 16 (mid 800, PyTorch init) + parallel FFN 16, s 2. 599,232 parameters at inference. */
export function heMamGlue(): MixMethod {
  return mamAdapter({ prefixLength: 16, midDim: 800, ffnBottleneck: 16, scale: 2 }).withName('he-mam-glue');
}

// ---- registry ----

export type TaskFamily = 'nlg' | 'nlu';

export interface Preset {
  readonly family: TaskFamily;
  readonly build: () => MixMethod;
  /** The "% params" of spec §5's table (parameters / base model), or null where the table has no row. */
  readonly paperPercent: number | null;
  /**
   * Which count spec §5 reports for this row: `training` (everything trained) or `inference` (prefix
   * reparameterisation MLPs excluded).
   */
  readonly countedAs: 'training' | 'inference';
}

export const PRESETS: Readonly<Record<string, Preset>> = Object.freeze({
  'inducer-lora': { family: 'nlg', build: inducerLora, paperPercent: 1.609, countedAs: 'training' },
  'inducer-no-lora': { family: 'nlg', build: inducerNoLora, paperPercent: 1.61, countedAs: 'training' },
  'inducer-mam': { family: 'nlg', build: mamInducer, paperPercent: 1.623, countedAs: 'training' },
  'adapter-108': { family: 'nlg', build: adapter108, paperPercent: 1.623, countedAs: 'training' },
  'lora-54': { family: 'nlg', build: lora54, paperPercent: 1.614, countedAs: 'training' },
  'prefix-tuning': { family: 'nlg', build: () => prefixTuning(109), paperPercent: null, countedAs: 'inference' },
  'mam-adapter': { family: 'nlg', build: () => mamAdapter(), paperPercent: null, countedAs: 'inference' },
  'nlu-inducer-lora': { family: 'nlu', build: nluInducerLora, paperPercent: 0.489, countedAs: 'training' },
  'nlu-inducer-mam': { family: 'nlu', build: nluMamInducer, paperPercent: 0.481, countedAs: 'training' },
  'nlu-inducer-no-lora': { family: 'nlu', build: nluInducerNoLora, paperPercent: 0.489, countedAs: 'training' },
  'he-mam-glue': { family: 'nlu', build: heMamGlue, paperPercent: 0.481, countedAs: 'inference' },
});

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function getPreset(name: string): Preset {
  const p = PRESETS[name];
  if (!p) throw new ConfigError('preset', `unknown preset '${name}' (known: ${presetNames().join(', ')})`);
  return p;
}

/**
 * A preset's parameter counts on a model, by creating it (seeded init, then disposed): `training` is every trainable
 * parameter, `stored` what its adapter file holds, leaving out prefix reparameterisation MLPs (what spec §5 counts);
 * `inference` is the same number as `stored` (its earlier name).
 */
export function presetParameterCount(name: string, spec: ModelSpec): { training: number; stored: number; inference: number } {
  const inst = getPreset(name).build().init(spec, { seed: 0 });
  try {
    const stored = storedParameterCount(inst);
    return { training: inst.params.count(), stored, inference: stored };
  } finally {
    inst.dispose();
  }
}
