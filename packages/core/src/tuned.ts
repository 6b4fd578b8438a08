import * as tf from '@tensorflow/tfjs-core';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_METADATA_FILE,
  ADAPTER_WEIGHTS_FILE,
  checkSpecMatches,
  parseAdapterFiles,
  readAdapterFiles,
  serializeAdapterFiles,
  writeAdapterBytes,
  type AdapterBytes,
  type AdapterConfigFile,
  type AdapterContents,
} from './adapter-file.js';
import { AdapterMismatchError, ConfigError } from './errors.js';
import {
  describeMethod,
  methodFromDescriptor,
  type InitOptions,
  type LinearWeights,
  type MethodInstance,
  type PeftMethod,
  storedParameterCount,
} from './method.js';
import type { ParameterRow } from './parameters.js';
import { validateModelSpec } from './spec.js';

/** A model that methods can be attached to: it exposes its spec and linear weights and calls the hooks it is given. */
export interface TunableModel extends LinearWeights {
  /** Installs a method's hooks (null removes them). */
  useMethod(instance: MethodInstance | null): void;
  /** Number of parameters of the frozen base, for percentages. */
  baseParameterCount(): number;
  /**
   * A task head that is not part of the pretrained base (RoBERTa's classifier, trained or initialised for the task):
   * an adapter is saved with it, as Hugging Face PEFT saves `modules_to_save`, so the adapter is never usable only
   * with a head that is not in it.
   */
  readonly taskHead?: TaskHead;
}

/** A model's task head as Hugging Face PEFT's `modules_to_save` sees it. */
export interface TaskHead {
  /** The module's name in the Hugging Face task model (`classifier`); its keys are `base_model.model.<module>.…`. */
  readonly module: string;
  /** Hugging Face PEFT's `task_type` of a model with this head (`SEQ_CLS`). */
  readonly taskType: string;
  /** Copies of its tensors under Hugging Face names below the module (`dense.weight` [out, in]); the caller owns them. */
  tensors(): Record<string, tf.Tensor>;
  /**
   * Replaces the head by copies of `tensors` (the caller keeps them), after checking every name and shape (the number
   * of classes may differ from the current head's); `source` names the file in errors.
   */
  replace(tensors: Record<string, tf.Tensor>, source: string): void;
}

/** The prefix of every tensor key Hugging Face PEFT saves (the PeftModel's base_model.model). */
export const HF_MODEL_KEY_PREFIX = 'base_model.model.';

/** Splits `base_model.model.<module>.<name>` head tensors (of `modules_to_save`) off an adapter's tensors. */
export function splitTaskHeadTensors(
  modulesToSave: unknown,
  tensors: Record<string, tf.Tensor>,
  source: string,
): { heads: Map<string, Record<string, tf.Tensor>>; rest: Record<string, tf.Tensor> } {
  const heads = new Map<string, Record<string, tf.Tensor>>();
  const rest: Record<string, tf.Tensor> = { ...tensors };
  if (modulesToSave === undefined || modulesToSave === null) return { heads, rest };
  if (!Array.isArray(modulesToSave) || modulesToSave.some((m) => typeof m !== 'string')) {
    throw new AdapterMismatchError(source, 'modules_to_save', 'a list of module names or null', modulesToSave);
  }
  for (const module of modulesToSave as string[]) {
    for (const prefix of [`${HF_MODEL_KEY_PREFIX}${module}.modules_to_save.default.`, `${HF_MODEL_KEY_PREFIX}${module}.`]) {
      for (const key of Object.keys(rest)) {
        if (!key.startsWith(prefix)) continue;
        const head = heads.get(module) ?? {};
        heads.set(module, head);
        head[key.slice(prefix.length)] = rest[key]!;
        delete rest[key];
      }
    }
  }
  return { heads, rest };
}

/**
 * Parameters trained and parameters stored. They differ where a method trains through a reparameterisation that it
 * does not store (prefix-tuning's MLP): the paper's tables and its "% params" count what is stored, Hugging Face
 * PEFT's `print_trainable_parameters()` what is trained.
 */
export interface ParameterTable {
  /** The trained parameters, one row per variable. */
  readonly rows: readonly ParameterRow[];
  /** Parameters trained (the optimiser's variables). */
  readonly total: number;
  /** total / base-model parameters, in percent. */
  readonly percentOfBase: number;
  /** Parameters the adapter file stores and inference needs (the count of the paper's tables). */
  readonly stored: number;
  /** stored / base-model parameters, in percent (the paper's "% params"). */
  readonly storedPercentOfBase: number;
}

/**
 * A model with a method attached: the frozen base, the method's trainable variables, and the adapter's life cycle.
 */
export class TunedModel<M extends TunableModel = TunableModel> {
  constructor(
    readonly model: M,
    readonly method: PeftMethod,
    readonly instance: MethodInstance,
  ) {}

  /** The trainable variables, for an optimiser. */
  trainableVariables(): tf.Variable[] {
    return this.instance.params.variables();
  }

  /** Parameters trained and stored, with their share of the base model. */
  trainableParameters(): ParameterTable {
    const rows = this.instance.params.rows();
    const total = rows.reduce((a, r) => a + r.size, 0);
    const stored = storedParameterCount(this.instance);
    const base = this.model.baseParameterCount();
    return { rows, total, percentOfBase: (100 * total) / base, stored, storedPercentOfBase: (100 * stored) / base };
  }

  /**
   * Writes adapter_config.json + adapter_model.safetensors (the adapter alone, never the base), atomically: the
   * method's stored form ({@link MethodInstance.stored}: plain prefixes for reparameterised prefix-tuning).
   */
  async save(dir: string, options: { dtype?: 'F32' | 'F16' | 'BF16' } = {}): Promise<void> {
    const files = await this.toBytes(options); // read before any file is touched: a failure leaves the old adapter
    await writeAdapterBytes(dir, files);
  }

  /**
   * The two files {@link save} writes, in memory (byte for byte the same): for a download in a browser, or any store
   * that is not a directory. {@link adapterFromBytes} reads them back.
   */
  async toBytes(options: { dtype?: 'F32' | 'F16' | 'BF16' } = {}): Promise<AdapterBytes> {
    const stored = this.instance.stored?.build();
    const instance = stored ?? this.instance;
    try {
      const exported = instance.exportTensors?.() ?? { tensors: instance.params.toRecord(), owned: false };
      const head = this.model.taskHead;
      const headTensors = head?.tensors() ?? {};
      try {
        const tensors = { ...exported.tensors };
        for (const [name, t] of Object.entries(headTensors)) tensors[`${HF_MODEL_KEY_PREFIX}${head!.module}.${name}`] = t;
        const config: AdapterConfigFile = {
          ...methodTopLevelFields(instance.method),
          ...(head ? { modules_to_save: [head.module] } : {}),
          peft_library: '@peft',
          format_version: 2,
          peft_method: describeMethod(instance.method),
          model_spec: this.model.spec,
        };
        return await serializeAdapterFiles(config, tensors, options);
      } finally {
        tf.dispose(Object.values(headTensors));
        if (exported.owned) tf.dispose(Object.values(exported.tensors));
      }
    } finally {
      stored?.dispose();
    }
  }

  merge(): void {
    if (!this.instance.merge) throw new ConfigError('merge', `method '${this.method.type}' cannot be merged into the base weights`);
    this.instance.merge(this.model);
  }

  unmerge(): void {
    if (!this.instance.unmerge) throw new ConfigError('unmerge', `method '${this.method.type}' cannot be merged`);
    this.instance.unmerge(this.model);
  }

  /** Removes the hooks and frees the trainable variables. */
  dispose(): void {
    this.model.useMethod(null);
    this.instance.dispose();
  }
}

/** Creates the method's parameters for the model's spec and installs its hooks. */
export function attach<M extends TunableModel>(model: M, method: PeftMethod, options: InitOptions = {}): TunedModel<M> {
  validateModelSpec(model.spec);
  const instance = method.init(model.spec, options);
  model.useMethod(instance);
  return new TunedModel(model, method, instance);
}

/**
 * Loads an adapter directory into a model: rebuilds the method from adapter_config.json (its package must be
 * imported so the type is registered), checks the model shape, and assigns every tensor (no missing, no extra).
 */
export async function loadAdapter<M extends TunableModel>(dir: string, model: M): Promise<TunedModel<M>> {
  const { join } = await import('node:path');
  const contents = await readAdapterFiles(dir);
  return attachAdapterContents(contents, model, { config: join(dir, ADAPTER_CONFIG_FILE), weights: join(dir, ADAPTER_WEIGHTS_FILE) });
}

/**
 * {@link loadAdapter} from memory: the text of adapter_config.json, the bytes of adapter_model.safetensors and the
 * text of peft_tfjs.json (omitted for an adapter written by an @peft older than format 2).
 */
export function adapterFromBytes<M extends TunableModel>(configText: string, weights: Uint8Array, model: M, metadataText?: string): TunedModel<M> {
  const names = { config: ADAPTER_CONFIG_FILE, weights: ADAPTER_WEIGHTS_FILE, metadata: ADAPTER_METADATA_FILE };
  return attachAdapterContents(parseAdapterFiles(configText, weights, names, metadataText), model, names);
}

function attachAdapterContents<M extends TunableModel>(
  { config, tensors }: AdapterContents,
  model: M,
  names: { config: string; weights: string },
): TunedModel<M> {
  try {
    checkSpecMatches(names.config, model.spec, config.model_spec);
    let method: PeftMethod;
    try {
      method = methodFromDescriptor(config.peft_method);
    } catch (e) {
      if (e instanceof ConfigError) throw new AdapterMismatchError(names.config, e.field, 'a valid method config', config.peft_method);
      throw e;
    }
    const { heads, rest } = splitTaskHeadTensors(config.modules_to_save, tensors, names.config);
    for (const module of heads.keys()) {
      if (model.taskHead?.module !== module) {
        throw new AdapterMismatchError(names.config, 'modules_to_save', model.taskHead ? [model.taskHead.module] : 'none (this model has no task head)', config.modules_to_save);
      }
    }
    const instance = method.init(model.spec, { seed: 0 });
    try {
      if (instance.importTensors) instance.importTensors(rest, names.weights);
      else instance.params.assign(rest, names.weights);
      const head = model.taskHead && heads.get(model.taskHead.module);
      if (head) model.taskHead!.replace(head, names.weights); // an adapter without a head (older @peft) keeps the model's
    } catch (e) {
      instance.dispose();
      throw e;
    }
    model.useMethod(instance);
    return new TunedModel(model, method, instance);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Methods may contribute top-level fields to adapter_config.json (HF PEFT's LoRA fields) via `adapterConfigFields()`. */
function methodTopLevelFields(m: PeftMethod): Record<string, unknown> {
  const f = (m as { adapterConfigFields?: () => Record<string, unknown> }).adapterConfigFields;
  return typeof f === 'function' ? f.call(m) : {};
}
