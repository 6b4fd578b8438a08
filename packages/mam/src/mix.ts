import * as tf from '@tensorflow/tfjs-core';
import * as z from 'zod/mini';
import {
  ConfigError,
  METHOD_DESCRIPTOR_SCHEMA,
  configObject,
  parseConfig,
  textField,
  withDoc,
  type SameType,
  MissingTensorError,
  ParameterSet,
  TensorShapeMismatchError,
  describeMethod,
  methodFromDescriptor,
  storedParameterCount,
  validateModelSpec,
  type InitOptions,
  type LayerHooks,
  type LinearWeights,
  type MethodDescriptor,
  type MethodInstance,
  type ModelSpec,
  type PeftMethod,
} from '@peft/core';
import { checkClaims } from './claims.js';
import { composeLayerHooks } from './compose-hooks.js';

/** What a mix stores in adapter_config.json: its parts' descriptors, in order, and an optional name. */
export interface MixConfig {
  readonly name?: string;
  readonly parts: readonly MethodDescriptor[];
}

export interface MixMethod extends PeftMethod<MixConfig> {
  readonly type: 'mix';
  readonly parts: readonly PeftMethod[];
  init(spec: ModelSpec, options?: InitOptions): MixInstance;
  /** The same mix under a name (kept in the config and shown by `describe()`). */
  withName(name: string): MixMethod;
}

export interface MixInstance extends MethodInstance {
  readonly method: MixMethod;
  /** The parts' instances, in order; their parameters are also in `params`, under {@link partNamespace}. */
  readonly parts: readonly MethodInstance[];
  /**
   * Parameters used at inference, i.e. stored: each part's stored count (prefix-tuning counts its prefixes, not its
   * reparameterisation MLP). The same as @peft/core's `storedParameterCount(instance)`.
   */
  inferenceParameterCount(): number;
}

/**
 * The prefix of part `index`'s parameter names (and adapter-file keys) in a mix: its type and position, e.g.
 * `inducer0.`, `lora1.`, `adapter2.`. A part keeps its own names after it, so names never collide and stay readable.
 */
export function partNamespace(part: Pick<PeftMethod, 'type'>, index: number): string {
  return `${part.type}${index}.`;
}

/**
 * Composes methods into one. Two parts may not claim the same site and slot when either claim is exclusive
 * ({@link SiteConflictError}). Each part is initialised with the same seed, so a part of a mix starts exactly as it
 * would alone.
 */
export function mix(...parts: PeftMethod[]): MixMethod {
  return makeMix(parts, undefined);
}

function makeMix(parts: readonly PeftMethod[], name: string | undefined): MixMethod {
  if (parts.length === 0) throw new ConfigError('mix.parts', 'give at least one method to mix');
  parts.forEach((p, i) => {
    if (!p || typeof p.init !== 'function' || typeof p.type !== 'string') {
      throw new ConfigError(`mix.parts.${i}`, 'is not a PEFT method (a value with type, config, claims, init, describe)');
    }
  });
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new ConfigError('mix.name', `must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  checkClaims(parts);
  const config: MixConfig = {
    ...(name !== undefined ? { name } : {}),
    parts: parts.map((p) => JSON.parse(JSON.stringify(describeMethod(p))) as MethodDescriptor),
  };
  const method: MixMethod = {
    type: 'mix',
    config,
    parts,
    claims: parts.flatMap((p) => p.claims),
    describe: () => `${name ? `${name}: ` : ''}${parts.map((p) => p.describe()).join(' + ')}`,
    withName: (n) => makeMix(parts, n),
    init: (spec, options = {}) => initMix(method, spec, options),
  };
  return method;
}

/**
 * A mix's stored config (adapter_config.json's `peft_method.config` of type `mix`): its parts, each checked by its own
 * method's schema when it is rebuilt, and an optional name.
 */
export const MIX_SCHEMA = configObject({
  name: withDoc(z.optional(textField('name')), { description: 'the mix under a name (kept in the config and shown by `describe()`)' }),
  parts: withDoc(
    z
      .array(METHOD_DESCRIPTOR_SCHEMA, { error: 'must be a list of {type, config}' })
      .check(z.minLength(1, { error: 'must be a list of {type, config}' })),
    { expects: 'list of {type, config}', description: "the parts' descriptors, in order" },
  ),
});

true satisfies SameType<z.output<typeof MIX_SCHEMA>, MixConfig>;

/** Rebuilds a mix from its stored config, each part through the method registry. */
export function mixFromConfig(config: unknown): MixMethod {
  const c = parseConfig('mix', MIX_SCHEMA, config);
  return makeMix(c.parts.map(methodFromDescriptor), c.name);
}

function initMix(method: MixMethod, spec: ModelSpec, options: InitOptions): MixInstance {
  validateModelSpec(spec);
  const instances: MethodInstance[] = [];
  try {
    for (const p of method.parts) instances.push(p.init(spec, options));
  } catch (e) {
    instances.forEach((i) => i.dispose());
    throw e;
  }
  return assembleMix(method, spec, instances, instances);
}

/**
 * The mix of its parts' stored forms (a part without one is stored as trained): shares the variables of those parts,
 * owns only the stored forms it created.
 */
function storedMix(mixInstance: MixInstance, name: string | undefined): MixInstance {
  const created: MethodInstance[] = [];
  try {
    const parts = mixInstance.parts.map((p) => {
      const s = p.stored?.build();
      if (s) created.push(s);
      return s ?? p;
    });
    return assembleMix(makeMix(parts.map((p) => p.method), name), mixInstance.spec, parts, created);
  } catch (e) {
    created.forEach((i) => i.dispose());
    throw e;
  }
}

/** A mix instance over given part instances; `owned` are those its `dispose()` frees. */
function assembleMix(method: MixMethod, spec: ModelSpec, instances: readonly MethodInstance[], owned: readonly MethodInstance[]): MixInstance {
  const prefixes = method.parts.map((p, i) => partNamespace(p, i));
  const params = ParameterSet.union(instances.map((inst, i) => inst.params.withPrefix(prefixes[i]!)));
  const offset = instances.reduce((a, i) => a + (i.positionOffset ?? 0), 0);
  const mergeable = instances.filter((i) => i.merge && i.unmerge);

  const instance: MixInstance = {
    method,
    spec,
    params,
    parts: instances,
    ...(offset !== 0 ? { positionOffset: offset } : {}),
    hooks: (layer: number): LayerHooks => composeLayerHooks(instances.map((i) => i.hooks(layer))),
    exportTensors: () => exportParts(instances, prefixes),
    importTensors: (tensors, source) => importParts(instances, prefixes, tensors, source),
    inferenceParameterCount: () => instances.reduce((a, i) => a + storedParameterCount(i), 0),
    ...(instances.some((i) => i.stored)
      ? { stored: { parameterCount: instances.reduce((a, i) => a + storedParameterCount(i), 0), build: () => storedMix(instance, method.config.name) } }
      : {}),
    dispose: () => owned.forEach((i) => i.dispose()),
  };
  if (mergeable.length > 0) {
    // merge/unmerge delegate to the parts that can fold themselves into the base weights (LoRA, IA³); unmerge in the
    // reverse order, as the parts' changes need not commute (IA³ after LoRA on one site scales LoRA's update too)
    Object.defineProperties(instance, {
      merge: { value: (model: LinearWeights) => mergeable.forEach((i) => i.merge!(model)), enumerable: true },
      unmerge: { value: (model: LinearWeights) => [...mergeable].reverse().forEach((i) => i.unmerge!(model)), enumerable: true },
      merged: { get: () => mergeable.some((i) => i.merged === true), enumerable: true },
    });
  }
  return instance;
}

/**
 * A part's inference-time parameter count: what its adapter file stores (@peft/core's `storedParameterCount`).
 * @deprecated use `storedParameterCount` of @peft/core.
 */
export function inferenceCountOf(inst: MethodInstance): number {
  return storedParameterCount(inst);
}

/** Every part's file tensors under its namespace. Owned by the caller when any part's are (others are cloned then). */
function exportParts(instances: readonly MethodInstance[], prefixes: readonly string[]): { tensors: Record<string, tf.Tensor>; owned: boolean } {
  const exported = instances.map((i) => i.exportTensors?.() ?? { tensors: i.params.toRecord(), owned: false });
  const owned = exported.some((e) => e.owned);
  const tensors: Record<string, tf.Tensor> = {};
  exported.forEach((e, k) => {
    for (const [name, t] of Object.entries(e.tensors)) tensors[prefixes[k]! + name] = owned && !e.owned ? tf.clone(t) : t;
  });
  return { tensors, owned };
}

/** Splits a file's tensors by namespace and hands each part its own; a key of no part is an error. */
function importParts(
  instances: readonly MethodInstance[],
  prefixes: readonly string[],
  tensors: Record<string, tf.Tensor>,
  source: string,
): void {
  const groups: Record<string, tf.Tensor>[] = instances.map(() => ({}));
  for (const [key, t] of Object.entries(tensors)) {
    const k = prefixes.findIndex((p) => key.startsWith(p));
    if (k < 0) {
      throw new ConfigError(key, `${source} holds a tensor of no part of this mix (part namespaces: ${prefixes.join(', ')})`);
    }
    groups[k]![key.slice(prefixes[k]!.length)] = t;
  }
  instances.forEach((inst, k) => {
    try {
      if (inst.importTensors) inst.importTensors(groups[k]!, source);
      else inst.params.assign(groups[k]!, source);
    } catch (e) {
      throw withNamespace(e, prefixes[k]!, source);
    }
  });
}

/** A part's missing or misshapen tensor, renamed to its key in the mix's file. */
function withNamespace(e: unknown, prefix: string, source: string): unknown {
  if (e instanceof MissingTensorError) return new MissingTensorError(source, prefix + e.tensor);
  if (e instanceof TensorShapeMismatchError) return new TensorShapeMismatchError(source, prefix + e.tensor, e.expected, e.found);
  return e;
}
