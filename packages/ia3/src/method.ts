import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  ParameterSet,
  defaultClaim,
  ones,
  validateModelSpec,
  valuesAtHand,
  type ActivationHook,
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
import { linearTargets, resolveIa3Config, type Ia3Config, type Ia3Options, type Ia3Target } from './config.js';
import { exportHuggingFaceTensors, hfPlans, huggingFaceConfigFields, importHuggingFaceTensors } from './hf-layout.js';
import { ia3ParamName, ia3ParameterCount, ia3VectorSize } from './parameters.js';

/** An IA³ method: a {@link PeftMethod} that can also describe itself as a Hugging Face PEFT IA3Config. */
export interface Ia3Method extends PeftMethod<Ia3Config> {
  readonly type: 'ia3';
  init(spec: ModelSpec, options?: InitOptions): Ia3Instance;
  /** Trainable parameters on `spec`, from shapes alone. */
  parameterCount(spec: ModelSpec): number;
  /**
   * Top-level adapter_config.json fields: Hugging Face PEFT's IA3Config for the model this method was last initialised
   * on; none when that model's spec has no Hugging Face facts or the config has no PEFT layout (then the tensors keep
   * @peft's names, `layers.{i}.{target}.ia3_l`).
   */
  adapterConfigFields(): Record<string, unknown>;
}

export interface Ia3Instance extends MethodInstance {
  readonly method: Ia3Method;
  /** The vector of one target of one layer (the variable itself, not a copy). */
  vector(layer: number, target: Ia3Target): tf.Variable;
  readonly merged: boolean;
  merge(model: LinearWeights): void;
  unmerge(model: LinearWeights): void;
}

/**
 * (IA)³ (Liu et al. 2022): learned vectors that rescale, elementwise, the outputs of linear sites (keys and values by
 * default: y ∘ l) and the FFN's intermediate activation (`ffn.act`: g ∘ l_ff), all starting at ones so that a fresh
 * adapter is an exact no-op. Claims are shared: scalings compose with other methods by chaining at the site.
 */
export function ia3(options: Ia3Options = {}): Ia3Method {
  const config = resolveIa3Config(options);
  let lastSpec: ModelSpec | undefined;
  const method: Ia3Method = {
    type: 'ia3',
    config,
    claims: config.targets.map((t): SiteClaim => defaultClaim(t)),
    describe: () => `IA³ on ${config.targets.join(', ')}`,
    parameterCount: (spec) => ia3ParameterCount(config, validateModelSpec(spec)),
    init(spec: ModelSpec, initOptions: InitOptions = {}): Ia3Instance {
      validateModelSpec(spec);
      lastSpec = spec;
      return createInstance(method, config, spec, initOptions.seed ?? 0);
    },
    adapterConfigFields(): Record<string, unknown> {
      if (!lastSpec) throw new ConfigError('ia3', 'initialise the method on a model spec before asking for its Hugging Face fields');
      const r = hfPlans(config, lastSpec);
      return 'reason' in r ? {} : huggingFaceConfigFields(config, r.plans, lastSpec);
    },
  };
  return method;
}

function createInstance(method: Ia3Method, config: Ia3Config, spec: ModelSpec, seed: number): Ia3Instance {
  for (const t of config.targets) ia3VectorSize(spec, t); // a site the model lacks fails here, naming it
  const params = new ParameterSet();
  try {
    for (let layer = 0; layer < spec.numLayers; layer++) {
      for (const t of config.targets) params.create(ia3ParamName(layer, t), [ia3VectorSize(spec, t)], ones, seed);
    }
  } catch (e) {
    params.dispose();
    throw e;
  }

  let merged = false;
  const vector = (layer: number, target: Ia3Target): tf.Variable => {
    if (!config.targets.includes(target)) throw new ConfigError('target', `IA³ does not scale '${target}' (targets: ${config.targets.join(', ')})`);
    if (!Number.isInteger(layer) || layer < 0 || layer >= spec.numLayers) throw new ConfigError('layer', `must be an integer in [0, ${spec.numLayers}), got ${layer}`);
    return params.get(ia3ParamName(layer, target));
  };

  const hooks = (layer: number): LayerHooks => {
    if (!Number.isInteger(layer) || layer < 0 || layer >= spec.numLayers) {
      throw new ConfigError('layer', `must be an integer in [0, ${spec.numLayers}), got ${layer}`);
    }
    const linear: Partial<Record<LinearSite, LinearHook>> = {};
    // after merge() the scaling lives in the frozen weights: applying it again would square it
    for (const site of linearTargets(config)) {
      const l = vector(layer, site);
      linear[site] = (_x, y) => (merged ? y : tf.mul(y, l));
    }
    if (!config.targets.includes('ffn.act')) return { linear };
    const lff = vector(layer, 'ffn.act');
    const ffnActivation: ActivationHook = (g) => (merged ? g : tf.mul(g, lff));
    return { linear, ffnActivation };
  };

  // LinearWeights hands out copies and copies what it is given (core's contract): dispose both sides here.
  // y ∘ l = x·(W·diag(l)) + b ∘ l: a linear target scales W's output columns and the bias; g ∘ l_ff feeds ffn.out,
  // (g ∘ l_ff)·W_out = g·(diag(l_ff)·W_out): `ffn.act` scales W_out's rows (its bias is untouched).
  const applyMerge = (model: LinearWeights, divide: boolean): void => {
    const op = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => (divide ? tf.div(a, b) : tf.mul(a, b));
    for (let layer = 0; layer < spec.numLayers; layer++) {
      for (const t of config.targets) {
        const site: LinearSite = t === 'ffn.act' ? 'ffn.out' : t;
        const l = vector(layer, t);
        const w = model.getLinearKernel(layer, site);
        try {
          const rows = t === 'ffn.act';
          const want = rows ? [l.size, w.shape[1]] : [w.shape[0], l.size];
          if (w.shape[0] !== want[0] || w.shape[1] !== want[1]) {
            throw new ConfigError(`merge.layers.${layer}.${site}`, `model kernel is [${w.shape.join(', ')}], IA³ on '${t}' expects [${want.join(', ')}] ([in, out] layout)`);
          }
          const next = tf.tidy(() => op(w, rows ? tf.reshape(l, [l.size, 1]) : l) as tf.Tensor2D);
          model.setLinearKernel(layer, site, next);
          next.dispose();
        } finally {
          w.dispose();
        }
        if (t === 'ffn.act') continue;
        const bias = model.getLinearBias(layer, site);
        if (!bias) continue;
        const next = tf.tidy(() => op(bias, l) as tf.Tensor1D);
        model.setLinearBias(layer, site, next);
        next.dispose();
        bias.dispose();
      }
    }
  };

  const instance: Ia3Instance = {
    method,
    spec,
    params,
    hooks,
    vector,
    get merged() {
      return merged;
    },
    merge(model: LinearWeights): void {
      if (merged) throw new ConfigError('merge', 'the IA³ scaling is already merged into the base weights');
      applyMerge(model, false);
      merged = true;
    },
    unmerge(model: LinearWeights): void {
      if (!merged) throw new ConfigError('unmerge', 'the IA³ scaling is not merged');
      // dividing by a zero entry cannot give W back: refuse before any weight changes
      for (const [name, v] of params.entries()) {
        const values = valuesAtHand(v); // not at hand (WebGPU in Node): not checked
        const at = values ? values.findIndex((x) => x === 0) : -1;
        if (at >= 0) throw new ConfigError('unmerge', `${name}[${at}] is 0: the merged weights lost what it scaled, and unmerge cannot restore them`);
      }
      applyMerge(model, true);
      merged = false;
    },
    dispose(): void {
      params.dispose();
    },
  };
  // PEFT's file layout where the model's spec names its Hugging Face modules and the config fits it; else @peft's names
  const layout = hfPlans(config, spec);
  if ('reason' in layout) return instance;
  return Object.assign(instance, {
    exportTensors: () => ({ tensors: exportHuggingFaceTensors(instance, layout.plans, spec), owned: true }),
    importTensors: (tensors: Record<string, tf.Tensor>, source: string) => importHuggingFaceTensors(instance, layout.plans, spec, tensors, source),
  });
}
