import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  ParameterSet,
  defaultClaim,
  kaimingUniform,
  leanAdd,
  modelLinearSites,
  validateModelSpec,
  zeros,
  type InitOptions,
  type LayerHooks,
  type LinearHook,
  type LinearSite,
  type LinearWeights,
  type MethodInstance,
  type ModelSpec,
  type PeftMethod,
  type SiteClaim,
} from '@peft/core';
import { atSite, loraLayers, rankAt, resolveLoraConfig, scalingAt, type LoraConfig, type LoraOptions } from './config.js';
import { deltaKernel, loraDelta, type LoraFactors } from './delta.js';
import { exportHuggingFaceTensors, huggingFaceConfigFields, importHuggingFaceTensors } from './hf-layout.js';
import { loraParamName, siteDims } from './sites.js';

/** A LoRA method: a {@link PeftMethod} that can also describe itself as a Hugging Face PEFT LoraConfig. */
export interface LoraMethod extends PeftMethod<LoraConfig> {
  readonly type: 'lora';
  init(spec: ModelSpec, options?: InitOptions): LoraInstance;
  /**
   * Top-level adapter_config.json fields. `loralib` flavour: Hugging Face PEFT's LoraConfig fields for the
   * architecture this method was last initialised on. `ka` flavour: none (not loadable by Hugging Face PEFT).
   */
  adapterConfigFields(): Record<string, unknown>;
}

export interface LoraInstance extends MethodInstance {
  readonly method: LoraMethod;
  /** The factors of one site of one layer (views of the variables, not copies). */
  factors(layer: number, site: LinearSite): LoraFactors;
  readonly merged: boolean;
  merge(model: LinearWeights): void;
  unmerge(model: LinearWeights): void;
}

/**
 * LoRA (Hu et al. 2021) on any of the linear sites: y ← y + (dropout(x)·Aᵀ·s)·Bᵀ (+ b·s in the KA flavour).
 * A starts as kaiming-uniform(a = √5) = U(±1/√d_in), B and b at zero, so a fresh adapter is an exact no-op.
 */
export function lora(options: LoraOptions = {}): LoraMethod {
  const config = resolveLoraConfig(options);
  let lastSpec: ModelSpec | undefined;
  const method: LoraMethod = {
    type: 'lora',
    config,
    claims: config.sites.map((s): SiteClaim => defaultClaim(s)),
    describe: () => describeLora(config),
    init(spec: ModelSpec, initOptions: InitOptions = {}): LoraInstance {
      validateModelSpec(spec);
      lastSpec = spec;
      // sites 'all': the model's linear sites, listed in the instance's method (what its adapter file records)
      if (config.allSites) return lora(onSitesOf(config, spec)).init(spec, initOptions);
      return createInstance(method, config, spec, initOptions.seed ?? 0);
    },
    adapterConfigFields(): Record<string, unknown> {
      // KA-flavour LoRA (trainable bias b, scaling α/r only when α > 1.5) has no Hugging Face PEFT equivalent: its
      // tensors keep @peft names (layers.{i}.{site}.lora_A|lora_B|lora_bias), and adapter_config.json no PEFT field
      if (config.flavour === 'ka') return {};
      if (!lastSpec) throw new ConfigError('lora', 'initialise the method on a model spec before asking for its Hugging Face fields');
      return huggingFaceConfigFields(config.allSites ? resolveLoraConfig(onSitesOf(config, lastSpec)) : config, lastSpec);
    },
  };
  return method;
}

/** A config of sites 'all' on the linear sites `spec` has. */
function onSitesOf(config: LoraConfig, spec: ModelSpec): LoraOptions {
  const { allSites: _all, ...rest } = config;
  return { ...rest, sites: modelLinearSites(spec) };
}

function describeLora(c: LoraConfig): string {
  const sites = c.allSites ? `every linear site r=${atSite(c.rank, 'attn.q')}` : c.sites.map((s) => `${s} r=${atSite(c.rank, s)}`).join(', ');
  const alphas = typeof c.alpha === 'number' ? `α=${c.alpha}` : `α=${c.sites.map((s) => atSite(c.alpha, s)).join('/')}`;
  const extra = [
    c.rslora ? 'rsLoRA' : '',
    c.layers ? `layers ${c.layers.join(',')}` : '',
    c.layerRank || c.layerAlpha ? 'per-layer r/α' : '',
  ].filter(Boolean);
  return `LoRA (${c.flavour}) on ${sites}, ${alphas}, dropout ${c.dropout}${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

/** Every layer index the config names lies within the model. */
function checkLayers(c: LoraConfig, spec: ModelSpec): void {
  const active = new Set(loraLayers(c, spec.numLayers));
  for (const l of c.layers ?? []) {
    if (l >= spec.numLayers) throw new ConfigError('lora.layers', `layer ${l} is beyond the model's ${spec.numLayers} layers`);
  }
  for (const [field, m] of [['lora.layerRank', c.layerRank], ['lora.layerAlpha', c.layerAlpha]] as const) {
    for (const k of Object.keys(m ?? {})) {
      if (!active.has(Number(k.split('.')[0]))) throw new ConfigError(`${field}.${k}`, 'names a layer without LoRA');
    }
  }
}

function createInstance(method: LoraMethod, config: LoraConfig, spec: ModelSpec, seed: number): LoraInstance {
  checkLayers(config, spec);
  const params = new ParameterSet();
  const layers = loraLayers(config, spec.numLayers);
  const active = new Set(layers);
  try {
    for (const layer of layers) {
      for (const site of config.sites) {
        const r = rankAt(config, layer, site);
        const [dIn, dOut] = siteDims(spec, site);
        params.create(loraParamName(layer, site, 'lora_A'), [r, dIn], kaimingUniform(dIn, Math.sqrt(5)), seed);
        params.create(loraParamName(layer, site, 'lora_B'), [dOut, r], zeros, seed);
        if (config.flavour === 'ka') params.create(loraParamName(layer, site, 'lora_bias'), [dOut], zeros, seed);
      }
    }
  } catch (e) {
    params.dispose();
    throw e;
  }

  let merged = false;
  const factors = (layer: number, site: LinearSite): LoraFactors => {
    if (!config.sites.includes(site)) throw new ConfigError('site', `LoRA is not on '${site}' (sites: ${config.sites.join(', ')})`);
    if (!active.has(layer)) throw new ConfigError('layer', `LoRA is not on layer ${layer} (layers: ${layers.join(', ')})`);
    const a = params.get(loraParamName(layer, site, 'lora_A'));
    const b = params.get(loraParamName(layer, site, 'lora_B'));
    const s = scalingAt(config, layer, site);
    return config.flavour === 'ka' ? { a, b, bias: params.get(loraParamName(layer, site, 'lora_bias')), scaling: s } : { a, b, scaling: s };
  };

  const hooks = (layer: number): LayerHooks => {
    if (!Number.isInteger(layer) || layer < 0 || layer >= spec.numLayers) {
      throw new ConfigError('layer', `must be an integer in [0, ${spec.numLayers}), got ${layer}`);
    }
    const linear: Partial<Record<LinearSite, LinearHook>> = {};
    if (!active.has(layer)) return { linear };
    for (const site of config.sites) {
      const f = factors(layer, site);
      // after merge() the update lives in the frozen weights: adding it again would count it twice
      linear[site] = (x, y, ctx) => (merged ? y : tf.tidy(() => leanAdd(y, loraDelta(x, f, ctx, config.dropout))));
    }
    return { linear };
  };

  // LinearWeights hands out copies and copies what it is given (core's contract): dispose both sides here.
  const applyMerge = (model: LinearWeights, sign: 1 | -1): void => {
    for (const layer of layers) {
      for (const site of config.sites) {
        const f = factors(layer, site);
        const [dIn, dOut] = siteDims(spec, site);
        const w = model.getLinearKernel(layer, site);
        try {
          if (w.shape[0] !== dIn || w.shape[1] !== dOut) {
            throw new ConfigError(`merge.layers.${layer}.${site}`, `model kernel is [${w.shape.join(', ')}], LoRA expects [${dIn}, ${dOut}] ([in, out] layout)`);
          }
          const next = tf.tidy(() => tf.add(w, tf.mul(deltaKernel(f), sign)) as tf.Tensor2D);
          model.setLinearKernel(layer, site, next);
          next.dispose();
        } finally {
          w.dispose();
        }
        if (f.bias) {
          const bias = model.getLinearBias(layer, site);
          const next = tf.tidy(() => {
            const db = tf.mul(f.bias!, sign * f.scaling) as tf.Tensor1D;
            return bias ? (tf.add(bias, db) as tf.Tensor1D) : db;
          });
          model.setLinearBias(layer, site, next);
          next.dispose();
          bias?.dispose();
        }
      }
    }
  };

  const instance: LoraInstance = {
    method,
    spec,
    params,
    hooks,
    factors,
    get merged() {
      return merged;
    },
    merge(model: LinearWeights): void {
      if (merged) throw new ConfigError('merge', 'the LoRA update is already merged into the base weights');
      applyMerge(model, 1);
      merged = true;
    },
    unmerge(model: LinearWeights): void {
      if (!merged) throw new ConfigError('unmerge', 'the LoRA update is not merged');
      applyMerge(model, -1);
      merged = false;
    },
    dispose(): void {
      params.dispose();
    },
  };
  if (config.flavour === 'loralib') {
    return Object.assign(instance, {
      exportTensors: () => ({ tensors: exportHuggingFaceTensors(instance, config, spec), owned: true }),
      importTensors: (tensors: Record<string, tf.Tensor>, source: string) => importHuggingFaceTensors(instance, config, spec, tensors, source),
    });
  }
  return instance;
}
