import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  ParameterSet,
  defaultClaim,
  keyValueHeads,
  normal,
  validateModelSpec,
  type ForwardContext,
  type InitOptions,
  type LayerHooks,
  type MethodInstance,
  type ModelSpec,
  type PeftMethod,
} from '@peft/core';
import {
  prefixInferenceCount,
  prefixTrainingCount,
  resolvePrefixConfig,
  shiftsPositions,
  type PrefixConfig,
  type ResolvedPrefixConfig,
} from './config.js';
import { createReparameterization, reparameterizedLayerPrefix, type LayerPrefix } from './prefixes.js';
import { HF_PREFIX_TENSOR, hfEmbeddingsToPrefixes, hfPrefixTensor, huggingFacePrefixFields, prefixesToHfEmbeddings } from './hf-layout.js';

/** The spec each method was last initialised on, for its adapter_config.json fields. */
const lastSpec = new WeakMap<PrefixMethod, ModelSpec>();

export interface PrefixMethod extends PeftMethod<ResolvedPrefixConfig> {
  readonly type: 'prefix';
  init(spec: ModelSpec, options?: InitOptions): PrefixInstance;
  /** Trainable parameters (with the reparameterisation MLP when `reparameterize`). */
  parameterCount(spec: ModelSpec): number;
  /** Parameters of the prefixes alone, as used at inference: n_layer·2·d·L (18,432·L on GPT-2 small). */
  inferenceParameterCount(spec: ModelSpec): number;
  /** adapter_config.json fields: Hugging Face PEFT's PrefixTuningConfig where PEFT computes the same (GPT-2), else none. */
  adapterConfigFields(): Record<string, unknown>;
}

export interface PrefixInstance extends MethodInstance {
  readonly method: PrefixMethod;
  /** Layer ℓ's prefix keys and values [H_kv, L, p] (dropout from `ctx`, none by default); owned by the caller. */
  layerPrefix(layer: number, ctx?: ForwardContext): LayerPrefix;
  /**
   * The same prefixes as plain per-layer parameters (`reparameterize: false`): a new, independent instance whose
   * supports equal this one's exactly. Dispose it separately.
   */
  export(): PrefixInstance;
}

/**
 * Prefix-tuning (spec §4.3): L trainable keys and values per layer and head, shared by every query. They reach the
 * attention as `attn.supports` shared supports, so the kernel estimator normalises them with the real keys, unmasked.
 */
export function prefix(config: PrefixConfig): PrefixMethod {
  const resolved = resolvePrefixConfig(config);
  const method: PrefixMethod = {
    type: 'prefix',
    config: resolved,
    claims: [defaultClaim('attn.supports', 'shared')],
    describe: () =>
      `prefix(L=${resolved.length}, ${resolved.reparameterize ? `MLP m=${resolved.midDim}, ${resolved.init} init` : 'plain'}` +
      `${resolved.dropout ? `, dropout ${resolved.dropout}` : ''})`,
    parameterCount: (spec) => prefixTrainingCount(resolved, validateModelSpec(spec)),
    inferenceParameterCount: (spec) => prefixInferenceCount(resolved, validateModelSpec(spec)),
    init: (spec, options = {}) => initPrefix(method, spec, options.seed ?? 0),
    adapterConfigFields: () => {
      const spec = lastSpec.get(method);
      return spec && !resolved.reparameterize ? huggingFacePrefixFields(resolved, spec) : {};
    },
  };
  return method;
}

function initPrefix(method: PrefixMethod, spec: ModelSpec, seed: number, plainValues?: (layer: number) => LayerPrefix): PrefixInstance {
  validateModelSpec(spec);
  lastSpec.set(method, spec);
  const c = method.config;
  const params = new ParameterSet();
  let layerPrefix: (layer: number, ctx: ForwardContext) => LayerPrefix;
  try {
    if (c.reparameterize) {
      const w = createReparameterization(params, c, spec, seed);
      layerPrefix = (layer, ctx) => reparameterizedLayerPrefix(w, layer, spec, (x) => ctx.dropout(x, c.dropout));
    } else {
      const layers = createPlainPrefixes(params, c, spec, seed, plainValues);
      layerPrefix = (layer, ctx) => {
        // clones, so a caller that disposes the supports cannot dispose the variables
        const [keys, values] = tf.tidy(() => [
          ctx.dropout(tf.clone(layers[layer]!.keys), c.dropout),
          ctx.dropout(tf.clone(layers[layer]!.values), c.dropout),
        ]) as [tf.Tensor3D, tf.Tensor3D];
        return { keys, values };
      };
    }
  } catch (e) {
    params.dispose();
    throw e;
  }
  const checkLayer = (layer: number) => {
    if (!(Number.isInteger(layer) && layer >= 0 && layer < spec.numLayers)) {
      throw new ConfigError('layer', `must be an integer in [0, ${spec.numLayers}), got ${layer}`);
    }
  };
  const instance: PrefixInstance = {
    method,
    spec,
    params,
    ...(shiftsPositions(c, spec) ? { positionOffset: c.length } : {}),
    hooks(layer: number): LayerHooks {
      checkLayer(layer);
      return { supports: ({ ctx }) => ({ shared: layerPrefix(layer, ctx) }) };
    },
    layerPrefix(layer, ctx) {
      checkLayer(layer);
      return layerPrefix(layer, ctx ?? { training: false, dropout: (x) => x });
    },
    export() {
      const plain = prefix({ ...c, reparameterize: false });
      return initPrefix(plain, spec, seed, (layer) => instance.layerPrefix(layer));
    },
    // the MLP is trained, the prefixes it produces are stored: what inference needs, and what the paper counts
    ...(c.reparameterize ? { stored: { parameterCount: prefixInferenceCount(c, spec), build: () => instance.export() } } : {}),
    dispose: () => params.dispose(),
  };
  if (c.reparameterize) return instance;
  // plain prefixes are stored in Hugging Face PEFT's PREFIX_TUNING layout (`prompt_embeddings`); files of the older
  // @peft layout (layers.{ℓ}.keys / values) still load
  return Object.assign(instance, {
    exportTensors: () => ({ tensors: { [HF_PREFIX_TENSOR]: prefixesToHfEmbeddings((l) => instance.layerPrefix(l), spec) }, owned: true }),
    importTensors: (tensors: Record<string, tf.Tensor>, source: string) => {
      if (!(HF_PREFIX_TENSOR in tensors)) return params.assign(tensors, source);
      const values = hfEmbeddingsToPrefixes(hfPrefixTensor(tensors, source), spec, c.length, source);
      try {
        params.assign(values, source);
      } finally {
        tf.dispose(Object.values(values));
      }
    },
  });
}

/** `layers.{ℓ}.keys` and `layers.{ℓ}.values`, each [H_kv, L, p]: from `values` when given, else drawn by the init. */
function createPlainPrefixes(
  params: ParameterSet,
  c: ResolvedPrefixConfig,
  spec: ModelSpec,
  seed: number,
  values?: (layer: number) => LayerPrefix,
): { keys: tf.Variable; values: tf.Variable }[] {
  const shape = [keyValueHeads(spec), c.length, spec.headDim]; // [H_kv, L, p]: the layer repeats them to H heads
  const init = normal(c.init === 'hf' ? 0.02 : 1);
  const out: { keys: tf.Variable; values: tf.Variable }[] = [];
  for (let layer = 0; layer < spec.numLayers; layer++) {
    const given = values?.(layer);
    const keys = given ? params.adopt(`layers.${layer}.keys`, given.keys) : params.create(`layers.${layer}.keys`, shape, init, seed);
    const vals = given
      ? params.adopt(`layers.${layer}.values`, given.values)
      : params.create(`layers.${layer}.values`, shape, init, seed);
    out.push({ keys, values: vals });
  }
  return out;
}
