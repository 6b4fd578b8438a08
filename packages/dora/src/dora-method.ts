import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  MissingTensorError,
  ParameterSet,
  TensorShapeMismatchError,
  defaultClaim,
  sameShape,
  validateModelSpec,
  valuesAtHand,
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
import { deltaKernel, lora, loraLayers, siteDims, type LoraFactors, type LoraInstance } from '@peft/lora';
import { resolveDoraConfig, type DoraConfig, type DoraOptions } from './config.js';
import { doraOutput } from './forward.js';
import { HF_MAGNITUDE_SUFFIX, magnitudePlans, untargetedFusedSites } from './hf-layout.js';
import { columnNorms } from './weight-norm.js';

/** A DoRA method: a {@link PeftMethod} that can also describe itself as a Hugging Face PEFT LoraConfig with use_dora. */
export interface DoraMethod extends PeftMethod<DoraConfig> {
  readonly type: 'dora';
  init(spec: ModelSpec, options?: InitOptions): DoraInstance;
  /** Hugging Face PEFT's LoraConfig fields (@peft/lora's) with `use_dora: true`, for the spec last initialised on. */
  adapterConfigFields(): Record<string, unknown>;
}

export interface DoraInstance extends MethodInstance {
  readonly method: DoraMethod;
  /** The LoRA factors of one site of one layer (views of the variables): @peft/lora's. */
  factors(layer: number, site: LinearSite): LoraFactors;
  /** The magnitude vector m [d_out] of one site of one layer (the variable itself). */
  magnitude(layer: number, site: LinearSite): tf.Variable;
  /**
   * Sets every magnitude that is still unset to ‖W + s·(BA)ᵀ‖ per output feature, reading W from `weights` (the first
   * forward pass does the same from the weights the model hands its hooks), and records the norms of the untargeted
   * sites of a fused module, which the Hugging Face file needs. Needed before `save` only when no forward pass ran.
   */
  initFromWeights(weights: LinearWeights): void;
  readonly merged: boolean;
  merge(model: LinearWeights): void;
  unmerge(model: LinearWeights): void;
}

/** The name of a magnitude vector in the method's {@link ParameterSet}: `layers.{i}.{site}.lora_magnitude_vector`. */
export function magnitudeParamName(layer: number, site: LinearSite): string {
  return `layers.${layer}.${site}.${HF_MAGNITUDE_SUFFIX}`;
}

/**
 * DoRA (Liu et al. 2024, "DoRA: Weight-Decomposed Low-Rank Adaptation") on any linear site: the weight becomes
 * W' = m ∘ (W + s·(BA)ᵀ) / ‖W + s·(BA)ᵀ‖, the norm per output feature and detached from the gradient (§4.3), computed
 * as Hugging Face PEFT 0.21 does (see {@link doraOutput}). A and B are @peft/lora's factors, with its config,
 * initialisation (A kaiming-uniform, B = 0), naming and Hugging Face layout; m is set to ‖W + s·(BA)ᵀ‖ = ‖W‖ from the
 * frozen weights the model hands the hook on the first forward pass (or by `initFromWeights`), so a fresh adapter is
 * an exact no-op. A magnitude vector of all zeros means "unset" (a checkpoint taken before the first step holds that).
 *
 * On a model whose Hugging Face module fuses several sites (GPT-2's c_attn = q | k | v), DoRA on some of them keeps
 * the others exactly as they are; it reads their weights' norms (never changes their output) to write PEFT's one
 * magnitude vector per module.
 */
export function dora(options: DoraOptions = {}): DoraMethod {
  const config = resolveDoraConfig(options);
  const loraMethod = lora(config);
  const method: DoraMethod = {
    type: 'dora',
    config,
    claims: config.sites.map((s): SiteClaim => defaultClaim(s)),
    describe: () => loraMethod.describe().replace(/^LoRA \(loralib\)/, 'DoRA'),
    init(spec: ModelSpec, initOptions: InitOptions = {}): DoraInstance {
      validateModelSpec(spec);
      return createInstance(method, config, loraMethod.init(spec, initOptions), initOptions.seed ?? 0);
    },
    adapterConfigFields: () => ({ ...loraMethod.adapterConfigFields(), use_dora: true }),
  };
  return method;
}

function createInstance(method: DoraMethod, config: DoraConfig, inner: LoraInstance, seed: number): DoraInstance {
  const spec = inner.spec;
  const layers = loraLayers(config, spec.numLayers);
  const active = new Set(layers);
  const siblings = untargetedFusedSites(config, spec);
  const magnitudes = new ParameterSet();
  let params: ParameterSet;
  try {
    for (const layer of layers) {
      for (const site of config.sites) magnitudes.create(magnitudeParamName(layer, site), [siteDims(spec, site)[1]], zeros, seed);
    }
    params = ParameterSet.union([inner.params, magnitudes]);
  } catch (e) {
    magnitudes.dispose();
    inner.dispose();
    throw e;
  }

  /** Sites whose magnitude has been checked for "unset" in this process (the check is one op, not a read-back). */
  const checked = new Set<string>();
  /** ‖W‖ of the untargeted sites of fused modules, by `layer.site`: what the Hugging Face file holds for them. */
  const siblingNorms = new Map<string, tf.Tensor1D>();
  /** The kernels as they were before `merge`, by `layer.site`. */
  const originals = new Map<string, tf.Tensor2D>();

  const magnitude = (layer: number, site: LinearSite): tf.Variable => {
    if (!config.sites.includes(site)) throw new ConfigError('site', `DoRA is not on '${site}' (sites: ${config.sites.join(', ')})`);
    if (!active.has(layer)) throw new ConfigError('layer', `DoRA is not on layer ${layer} (layers: ${layers.join(', ')})`);
    return magnitudes.get(magnitudeParamName(layer, site));
  };

  /** m ← ‖W + s·(BA)ᵀ‖ where m is all zeros (unset), else m unchanged: on the device, without reading m back. */
  const settle = (layer: number, site: LinearSite, w: tf.Tensor2D): void => {
    const key = `${layer}.${site}`;
    if (checked.has(key)) return;
    const m = magnitude(layer, site);
    const f = inner.factors(layer, site);
    tf.tidy(() => {
      const unset = tf.broadcastTo(tf.all(tf.equal(m, 0)), m.shape);
      m.assign(tf.where(unset, columnNorms(w, f), m as tf.Tensor));
    });
    checked.add(key);
  };

  const observeSibling = (layer: number, site: LinearSite, w: tf.Tensor2D): void => {
    const key = `${layer}.${site}`;
    if (!siblingNorms.has(key)) siblingNorms.set(key, tf.keep(columnNorms(w)));
  };

  const checkKernel = (w: tf.Tensor, layer: number, site: LinearSite, what: string): void => {
    const [dIn, dOut] = siteDims(spec, site);
    if (w.shape[0] !== dIn || w.shape[1] !== dOut) {
      throw new ConfigError(`${what}.layers.${layer}.${site}`, `model kernel is [${w.shape.join(', ')}], DoRA expects [${dIn}, ${dOut}] ([in, out] layout)`);
    }
  };

  const hooks = (layer: number): LayerHooks => {
    if (!Number.isInteger(layer) || layer < 0 || layer >= spec.numLayers) {
      throw new ConfigError('layer', `must be an integer in [0, ${spec.numLayers}), got ${layer}`);
    }
    const linear: Partial<Record<LinearSite, LinearHook>> = {};
    if (!active.has(layer)) return { linear };
    for (const site of config.sites) {
      const f = inner.factors(layer, site);
      const m = magnitude(layer, site);
      linear[site] = (x, y, ctx, base) => {
        // after merge() W' holds the whole update: applying it again would count it twice
        if (merged) return y;
        if (!base) {
          throw new ConfigError(`dora.layers.${layer}.${site}`, "a DoRA hook needs the site's frozen weights (the linear hook's 4th argument, LinearBase): the caller passed none");
        }
        const w = base.kernel();
        settle(layer, site, w);
        return doraOutput(x, y, w, base.bias(), f, m, config.dropout, ctx);
      };
    }
    for (const site of siblings) {
      // reads ‖W‖ of a fused module's untargeted site once, for the Hugging Face file; the output is untouched
      linear[site] = (_x, y, _ctx, base) => {
        if (base && !siblingNorms.has(`${layer}.${site}`)) observeSibling(layer, site, base.kernel());
        return y;
      };
    }
    return { linear };
  };

  const initFromWeights = (weights: LinearWeights): void => {
    if (merged) throw new ConfigError('initFromWeights', 'the DoRA update is merged into these weights: unmerge first');
    for (const layer of layers) {
      for (const site of [...config.sites, ...siblings]) {
        const w = weights.getLinearKernel(layer, site);
        try {
          checkKernel(w, layer, site, 'initFromWeights');
          if (config.sites.includes(site)) settle(layer, site, w);
          else observeSibling(layer, site, w);
        } finally {
          w.dispose();
        }
      }
    }
  };

  let merged = false;
  const merge = (model: LinearWeights): void => {
    if (merged) throw new ConfigError('merge', 'the DoRA update is already merged into the base weights');
    initFromWeights(model);
    try {
      for (const layer of layers) {
        for (const site of config.sites) {
          const w = model.getLinearKernel(layer, site);
          try {
            checkKernel(w, layer, site, 'merge');
          } catch (e) {
            w.dispose();
            throw e;
          }
          // W' = (m / ‖W + s·(BA)ᵀ‖) ∘ (W + s·(BA)ᵀ), column by column ([in, out] layout); W is kept for unmerge
          const next = tf.tidy(() => {
            const f = inner.factors(layer, site);
            const v = tf.add(w, deltaKernel(f)) as tf.Tensor2D;
            return tf.mul(v, tf.div(magnitude(layer, site), columnNorms(v))) as tf.Tensor2D;
          });
          model.setLinearKernel(layer, site, next);
          next.dispose();
          originals.set(`${layer}.${site}`, w);
        }
      }
    } catch (e) {
      restore(model);
      throw e;
    }
    merged = true;
  };
  const restore = (model: LinearWeights): void => {
    for (const [key, w] of originals) {
      const dot = key.indexOf('.');
      model.setLinearKernel(Number(key.slice(0, dot)), key.slice(dot + 1) as LinearSite, w);
      w.dispose();
    }
    originals.clear();
  };

  const exportTensors = (): { tensors: Record<string, tf.Tensor>; owned: boolean } => {
    const plans = magnitudePlans(config, spec);
    for (const plan of plans) {
      for (const s of plan.slices) {
        if (s.targeted) {
          const values = valuesAtHand(magnitude(plan.layer, s.site));
          if (values && values.every((v) => v === 0)) throw unsetError(`the magnitude of ${s.site} in layer ${plan.layer} is unset`);
        } else if (!siblingNorms.has(`${plan.layer}.${s.site}`)) {
          throw unsetError(`the file's magnitude vector of ${plan.module.name} needs ‖W‖ of ${s.site} in layer ${plan.layer}, which DoRA has not seen`);
        }
      }
    }
    const out = inner.exportTensors!();
    try {
      for (const plan of plans) {
        out.tensors[plan.key] = tf.tidy(() =>
          tf.concat(plan.slices.map((s) => (s.targeted ? magnitude(plan.layer, s.site) : siblingNorms.get(`${plan.layer}.${s.site}`)!))),
        );
      }
    } catch (e) {
      tf.dispose(Object.values(out.tensors));
      throw e;
    }
    return { tensors: out.tensors, owned: true };
  };

  const importTensors = (tensors: Record<string, tf.Tensor>, source: string): void => {
    const plans = magnitudePlans(config, spec);
    const expected = new Set(plans.map((p) => p.key));
    const rest: Record<string, tf.Tensor> = {};
    for (const [key, t] of Object.entries(tensors)) {
      if (expected.has(key)) continue;
      if (key.endsWith(`.${HF_MAGNITUDE_SUFFIX}`)) throw new ConfigError(key, `${source} holds a magnitude vector this DoRA config does not have`, { kind: 'data' });
      rest[key] = t;
    }
    for (const plan of plans) {
      const t = tensors[plan.key];
      if (!t) throw new MissingTensorError(source, plan.key);
      if (!sameShape(t.shape, [plan.size])) throw new TensorShapeMismatchError(source, plan.key, [plan.size], t.shape);
    }
    // the magnitudes are checked above, so the LoRA part (which checks its own keys and shapes) is the last to fail
    inner.importTensors!(rest, source);
    const values: Record<string, tf.Tensor> = {};
    try {
      for (const plan of plans) {
        for (const s of plan.slices) {
          const slice = tf.tidy(() => tf.cast(tf.slice(tensors[plan.key]!, [s.offset], [s.size]), 'float32'));
          if (s.targeted) values[magnitudeParamName(plan.layer, s.site)] = slice;
          else {
            siblingNorms.get(`${plan.layer}.${s.site}`)?.dispose();
            siblingNorms.set(`${plan.layer}.${s.site}`, slice as tf.Tensor1D);
          }
        }
      }
      magnitudes.assign(values, source);
    } finally {
      tf.dispose(Object.values(values));
    }
  };

  const instance: DoraInstance = {
    method,
    spec,
    params,
    hooks,
    factors: (layer, site) => inner.factors(layer, site),
    magnitude,
    initFromWeights,
    get merged() {
      return merged;
    },
    merge,
    unmerge(model: LinearWeights): void {
      if (!merged) throw new ConfigError('unmerge', 'the DoRA update is not merged');
      restore(model);
      merged = false;
    },
    exportTensors,
    importTensors,
    dispose(): void {
      tf.dispose([...siblingNorms.values(), ...originals.values()]);
      siblingNorms.clear();
      originals.clear();
      magnitudes.dispose();
      inner.dispose();
    },
  };
  return instance;
}

function unsetError(what: string): ConfigError {
  return new ConfigError(
    'dora.magnitude',
    `${what}: DoRA sets its magnitudes from the base weights on the first forward pass; run one, or call instance.initFromWeights(model), before saving`,
  );
}
