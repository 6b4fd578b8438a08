import * as tf from '@tensorflow/tfjs-core';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  AdapterMismatchError,
  CheckpointError,
  ConfigError,
  HF_MODEL_KEY_PREFIX,
  finiteEntryToTensor,
  isFileNotFound,
  readSafetensorsFile,
  requireSiteShape,
  splitTaskHeadTensors,
  validateModelSpec,
  type HfModuleFacts,
  type ModelSpec,
} from '@peft/core';
import type { Ia3Target } from './config.js';
import { hfIa3Key } from './hf-layout.js';
import { ia3, type Ia3Instance, type Ia3Method } from './method.js';

export interface ImportHuggingFaceIa3Options {
  /** Tensors that are neither IA³ vectors of a known module nor the task head are an error by default; `true` skips them. */
  readonly ignoreOtherTensors?: boolean;
  /** The base model the adapter must be for: a different `base_model_name_or_path` is refused naming the field. */
  readonly baseModel?: string;
}

export interface ImportedIa3 {
  readonly method: Ia3Method;
  /** Owned by the caller: install it with `model.useMethod(instance)`, free it with `instance.dispose()`. */
  readonly instance: Ia3Instance;
  /**
   * The task head of `modules_to_save` (e.g. RoBERTa's `classifier`), its tensors named below the module and owned by
   * the caller: install it with `model.taskHead.replace(taskHead.tensors, …)`. Absent when the file has none.
   */
  readonly taskHead?: { readonly module: string; readonly tensors: Record<string, tf.Tensor> };
}

/**
 * Reads an IA³ adapter directory written by Hugging Face PEFT (adapter_config.json with `peft_type: "IA3"` and
 * adapter_model.safetensors) for a model of shape `spec`, whose Hugging Face facts (`spec.hf`) name its modules.
 * A module's vector of shape [out, 1] scales its output: every site the module holds becomes a target (GPT-2's
 * c_attn: attn.q, attn.k and attn.v, each its third). A vector of shape [1, in] scales its input (PEFT's
 * `feedforward_modules`): on the module holding `ffn.out` that is `ffn.act`; on any other module @peft has no site for
 * it, and the file is refused naming the module. Every layer must carry the same modules.
 */
export async function importHuggingFaceIa3(dir: string, spec: ModelSpec, options: ImportHuggingFaceIa3Options = {}): Promise<ImportedIa3> {
  validateModelSpec(spec);
  const hf = spec.hf;
  if (!hf) throw new ConfigError('spec.hf', `the ${spec.architecture} model spec carries no Hugging Face facts: its PEFT module names are unknown`);
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const cfgPath = join(dir, ADAPTER_CONFIG_FILE);
  const wPath = join(dir, ADAPTER_WEIGHTS_FILE);
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if (isFileNotFound(e)) throw new CheckpointError('E_MISSING_FILE', cfgPath, 'no adapter config here (is this an adapter directory?)');
    throw new CheckpointError('E_BAD_JSON', cfgPath, `not valid JSON (${(e as Error).message})`);
  }
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw new CheckpointError('E_BAD_JSON', cfgPath, 'not a JSON object');
  if (cfg.peft_type !== 'IA3') throw new AdapterMismatchError(cfgPath, 'peft_type', 'IA3', cfg.peft_type);
  if (options.baseModel !== undefined && typeof cfg.base_model_name_or_path === 'string' && cfg.base_model_name_or_path !== options.baseModel) {
    throw new AdapterMismatchError(cfgPath, 'base_model_name_or_path', options.baseModel, cfg.base_model_name_or_path);
  }
  const file = await readSafetensorsFile(wPath);

  // which module of which layer each entry is
  const names = hf.modules.map((m) => m.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const path = hf.layersPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const keyRe = new RegExp(`^${HF_MODEL_KEY_PREFIX.replace(/\./g, '\\.')}${path}\\.(\\d+)\\.(${names})\\.ia3_l$`);
  const found = new Map<string, Map<number, { key: string; shape: readonly number[] }>>();
  const other: string[] = [];
  for (const [key, e] of file.tensors) {
    const m = keyRe.exec(key);
    if (!m) {
      other.push(key);
      continue;
    }
    const layer = Number(m[1]);
    if (layer >= spec.numLayers) throw new AdapterMismatchError(wPath, key, `a layer below the model's ${spec.numLayers}`, `layer ${layer}`);
    const byLayer = found.get(m[2]!) ?? new Map();
    found.set(m[2]!, byLayer);
    byLayer.set(layer, { key, shape: e.shape });
  }
  if (found.size === 0) throw new CheckpointError('E_NO_IA3', wPath, `holds no IA³ vector of a ${spec.architecture} model (keys ${HF_MODEL_KEY_PREFIX}${hf.layersPath}.<i>.<module>.ia3_l)`);

  // the head of modules_to_save, and anything else
  const headModule = hf.headModule;
  const listed = Array.isArray(cfg.modules_to_save) ? cfg.modules_to_save : [];
  const headKeys = other.filter((k) => listed.some((m) => typeof m === 'string' && k.startsWith(`${HF_MODEL_KEY_PREFIX}${m}.`)));
  for (const key of other) {
    if (headKeys.includes(key) || options.ignoreOtherTensors) continue;
    throw new ConfigError(key, `${wPath} holds a tensor that is neither an IA³ vector of a ${spec.architecture} module nor of modules_to_save (pass ignoreOtherTensors to skip it)`, { kind: 'data' });
  }

  // each module: output or input scaling, the same in every layer
  const targets = new Set<Ia3Target>();
  const modules: { module: HfModuleFacts; feedforward: boolean }[] = [];
  for (const module of hf.modules) {
    const byLayer = found.get(module.name);
    if (!byLayer) continue;
    for (let layer = 0; layer < spec.numLayers; layer++) {
      if (!byLayer.has(layer)) {
        throw new AdapterMismatchError(wPath, hfIa3Key(spec, layer, module), `an IA³ vector in every layer (@peft's IA³ covers all ${spec.numLayers})`, 'absent');
      }
    }
    const outSize = module.sites.reduce((n, s) => n + requireSiteShape(spec, s).outFeatures, 0);
    const inSize = requireSiteShape(spec, module.sites[0]!).inFeatures;
    const shape = byLayer.get(0)!.shape;
    const feedforward = shape.length === 2 && shape[0] === 1 && shape[1] === inSize && !(shape[0] === outSize && shape[1] === 1);
    const want = feedforward ? [1, inSize] : [outSize, 1];
    for (const { key, shape: s } of byLayer.values()) {
      if (s.length !== 2 || s[0] !== want[0] || s[1] !== want[1]) {
        throw new AdapterMismatchError(wPath, key, `shape [${outSize}, 1] (output scaling) or [1, ${inSize}] (feedforward: input scaling)`, `[${s.join(', ')}]`);
      }
    }
    if (feedforward) {
      if (!(module.sites.length === 1 && module.sites[0] === 'ffn.out')) {
        throw new AdapterMismatchError(
          cfgPath,
          'feedforward_modules',
          `only the module holding 'ffn.out' (@peft scales its input as 'ffn.act'; no site scales the input of ${module.name})`,
          cfg.feedforward_modules,
        );
      }
      targets.add('ffn.act');
    } else {
      for (const s of module.sites) targets.add(s);
    }
    modules.push({ module, feedforward });
  }

  const hfFields = {
    baseModelNameOrPath: typeof cfg.base_model_name_or_path === 'string' ? cfg.base_model_name_or_path : null,
    taskType: typeof cfg.task_type === 'string' ? cfg.task_type : null,
  };
  const method = ia3({ targets: [...targets], hf: hfFields });
  const instance = method.init(spec, { seed: 0 });
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [key, e] of file.tensors) {
      if (keyRe.test(key) || headKeys.includes(key)) tensors[key] = finiteEntryToTensor(e, key, wPath);
    }
    const { heads, rest } = splitTaskHeadTensors(cfg.modules_to_save, tensors, cfgPath);
    for (const module of heads.keys()) {
      if (module !== headModule) {
        throw new AdapterMismatchError(cfgPath, 'modules_to_save', headModule ? [headModule] : `none (a ${spec.architecture} model has no task head)`, cfg.modules_to_save);
      }
    }
    instance.importTensors!(rest, wPath);
    const head = headModule ? heads.get(headModule) : undefined;
    if (head) {
      const taskHead = { module: headModule!, tensors: Object.fromEntries(Object.entries(head).map(([k, t]) => [k, tf.clone(t)])) };
      return { method, instance, taskHead };
    }
    return { method, instance };
  } catch (e) {
    instance.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
