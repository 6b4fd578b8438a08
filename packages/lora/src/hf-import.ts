import * as tf from '@tensorflow/tfjs-core';
import {
  AdapterMismatchError,
  CheckpointError,
  ConfigError,
  MissingTensorError,
  TensorShapeMismatchError,
  finiteEntryToTensor,
  sameShape,
  validateModelSpec,
  type LinearSite,
  type ModelSpec,
  type SafetensorsEntry,
} from '@peft/core';
import type { LoraOptions } from './config.js';
import { readHuggingFaceAdapter, splitHeadEntries, type ImportedTaskHead } from './hf-files.js';
import { hfFacts, hfModules, parseHfKey, type HfModule } from './hf-modules.js';
import { resolveHfPattern } from './hf-pattern.js';
import { lora, type LoraInstance, type LoraMethod } from './lora-method.js';
import { loraParamName, siteDims } from './sites.js';

export interface ImportHuggingFaceLoraOptions {
  /**
   * Tensors that are neither LoRA factors of a known module nor the task head of `modules_to_save` are an error by
   * default; `true` skips them.
   */
  readonly ignoreOtherTensors?: boolean;
  /**
   * The base model this adapter must be for (e.g. `roberta-base`): an adapter whose `base_model_name_or_path` names
   * another is refused naming the field. Absent: not checked (shapes are always checked).
   */
  readonly baseModel?: string;
}

export interface ImportedLora {
  readonly method: LoraMethod;
  /** Owned by the caller: install it with `model.useMethod(instance)`, free it with `instance.dispose()`. */
  readonly instance: LoraInstance;
  /**
   * The task head the adapter carries (`modules_to_save`, e.g. a SEQ_CLS adapter's `classifier`): install it with
   * `model.taskHead.replace(taskHead.tensors, …)`, then dispose the tensors. Absent when the file has none.
   */
  readonly taskHead?: ImportedTaskHead;
}

/**
 * Reads a LoRA adapter directory written by Hugging Face PEFT (adapter_config.json + adapter_model.safetensors, no
 * @peft fields) for a GPT-2 or RoBERTa model of shape `spec`, as a `loralib`-flavour LoRA. A GPT-2 `c_attn` LoRA of
 * rank R becomes LoRA on attn.q, attn.k and attn.v, each of rank R with a copy of A and its third of B: the same map.
 * Each module's r and α are resolved as PEFT resolves them (`rank_pattern` / `alpha_pattern`: the first key that
 * matches the module's path, layer-specific keys included), rsLoRA scales by α/√r, `layers_to_transform` becomes the
 * layers that have LoRA, and the `modules_to_save` head comes back as {@link ImportedLora.taskHead}.
 */
export async function importHuggingFaceLora(
  dir: string,
  spec: ModelSpec,
  options: ImportHuggingFaceLoraOptions = {},
): Promise<ImportedLora> {
  validateModelSpec(spec);
  const files = await readHuggingFaceAdapter(dir, { baseModel: options.baseModel });
  const { cfg, cfgPath, wPath } = files;
  checkSupported(cfg, cfgPath);
  const { head, rest } = splitHeadEntries(files, spec);

  // group the factors by module and layer
  if (![...rest.keys()].some((k) => parseHfKey(spec, k))) {
    throw new CheckpointError('E_NO_LORA', wPath, `holds no LoRA factors of a ${spec.architecture} model${otherArchitectureHint(spec, rest)}`);
  }
  const found = new Map<string, Map<number, { A?: string; B?: string }>>();
  for (const key of rest.keys()) {
    const parsed = parseHfKey(spec, key);
    if (!parsed) {
      if (options.ignoreOtherTensors) continue;
      throw new ConfigError(key, `${wPath} holds a tensor that is not a LoRA factor of a ${spec.architecture} linear module nor of modules_to_save (pass ignoreOtherTensors to skip it)`);
    }
    if (parsed.layer >= spec.numLayers) throw new AdapterMismatchError(wPath, key, `a layer below the model's ${spec.numLayers}`, `layer ${parsed.layer}`);
    const byLayer = found.get(parsed.module.name) ?? new Map();
    found.set(parsed.module.name, byLayer);
    const entry = byLayer.get(parsed.layer) ?? {};
    byLayer.set(parsed.layer, entry);
    entry[parsed.part === 'lora_A' ? 'A' : 'B'] = key;
  }

  // the layers with LoRA: the same for every module (@peft's `layers` is one list for all sites)
  const layerSets = [...found.entries()].map(([name, byLayer]) => [name, [...byLayer.keys()].sort((a, b) => a - b)] as const);
  const layers = layerSets[0]![1];
  for (const [name, ls] of layerSets) {
    if (ls.join(',') !== layers.join(',')) {
      throw new AdapterMismatchError(wPath, `layers of ${name}`, `the layers of ${layerSets[0]![0]} (${layers.join(', ')})`, ls.join(', '));
    }
  }
  checkLayersToTransform(cfg, cfgPath, layers);

  const rank: Partial<Record<LinearSite, number>> = {};
  const alpha: Partial<Record<LinearSite, number>> = {};
  const layerRank: Record<string, number> = {};
  const layerAlpha: Record<string, number> = {};
  const modules: { module: HfModule; keys: Map<number, { A: string; B: string; rank: number }> }[] = [];
  for (const module of hfModules(spec)) {
    const byLayer = found.get(module.name);
    if (!byLayer) continue;
    const keys = new Map<number, { A: string; B: string; rank: number }>();
    for (const layer of layers) {
      const e = byLayer.get(layer)!;
      if (!e.A) throw new MissingTensorError(wPath, e.B!.replace('lora_B', 'lora_A'));
      if (!e.B) throw new MissingTensorError(wPath, e.A.replace('lora_A', 'lora_B'));
      const a = rest.get(e.A)!;
      const b = rest.get(e.B)!;
      const path = modulePath(e.A);
      const r = resolveHfPattern(cfg, 'rank_pattern', 'r', path, cfgPath);
      const al = resolveHfPattern(cfg, 'alpha_pattern', 'lora_alpha', path, cfgPath);
      const dIn = siteDims(spec, module.sites[0]!)[0];
      const dOut = module.sites.reduce((n, s) => n + siteDims(spec, s)[1], 0);
      if (!sameShape(a.shape, [r, dIn])) throw new TensorShapeMismatchError(wPath, e.A, [r, dIn], a.shape);
      if (!sameShape(b.shape, [dOut, r])) throw new TensorShapeMismatchError(wPath, e.B, [dOut, r], b.shape);
      keys.set(layer, { A: e.A, B: e.B, rank: r });
      for (const s of module.sites) {
        if (rank[s] === undefined) {
          rank[s] = r;
          alpha[s] = al;
        }
        if (r !== rank[s]) layerRank[`${layer}.${s}`] = r;
        if (al !== alpha[s]) layerAlpha[`${layer}.${s}`] = al;
      }
    }
    modules.push({ module, keys });
  }

  const sites = Object.keys(rank) as LinearSite[];
  const dropout = typeof cfg.lora_dropout === 'number' ? cfg.lora_dropout : 0;
  const hf = {
    baseModelNameOrPath: typeof cfg.base_model_name_or_path === 'string' ? cfg.base_model_name_or_path : null,
    taskType: typeof cfg.task_type === 'string' ? cfg.task_type : null,
  };
  const loraOptions: LoraOptions = {
    sites,
    rank,
    alpha,
    dropout,
    flavour: 'loralib',
    ...(cfg.use_rslora === true ? { rslora: true } : {}),
    ...(layers.length < spec.numLayers ? { layers } : {}),
    ...(Object.keys(layerRank).length ? { layerRank } : {}),
    ...(Object.keys(layerAlpha).length ? { layerAlpha } : {}),
    hf,
  };
  const method = lora(loraOptions);
  const instance = method.init(spec, { seed: 0 });
  const values: Record<string, tf.Tensor> = {};
  let taskHead: ImportedTaskHead | undefined;
  try {
    for (const { module, keys } of modules) {
      for (const [layer, { A, B, rank: r }] of keys) {
        const a = finiteEntryToTensor(rest.get(A)!, A, wPath);
        const b = finiteEntryToTensor(rest.get(B)!, B, wPath);
        let row = 0;
        for (const site of module.sites) {
          const d = siteDims(spec, site)[1];
          values[loraParamName(layer, site, 'lora_A')] = tf.clone(a);
          values[loraParamName(layer, site, 'lora_B')] = tf.slice(b, [row, 0], [d, r]);
          row += d;
        }
        a.dispose();
        b.dispose();
      }
    }
    instance.params.assign(values, wPath);
    if (head) taskHead = { module: head.module, tensors: Object.fromEntries([...head.entries].map(([k, e]) => [k, finiteEntryToTensor(e, k, wPath)])) };
  } catch (e) {
    instance.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(values));
  }
  return { method, instance, ...(taskHead ? { taskHead } : {}) };
}

/** The PEFT LoraConfig fields @peft has no counterpart for are refused, each naming its field. */
function checkSupported(cfg: Record<string, unknown>, path: string): void {
  if (cfg.peft_type !== 'LORA') throw new AdapterMismatchError(path, 'peft_type', 'LORA', cfg.peft_type);
  const refuse = (field: string, why: string): never => {
    throw new AdapterMismatchError(path, field, why, cfg[field]);
  };
  if (cfg.use_dora === true) refuse('use_dora', 'false (DoRA is not LoRA)');
  if (cfg.bias !== undefined && cfg.bias !== 'none') refuse('bias', "'none' (@peft LoRA trains no base-model bias: 'all' and 'lora_only' have no counterpart)");
  if (cfg.lora_bias === true) refuse('lora_bias', 'false (a bias on lora_B has no @peft loralib counterpart)');
  if (cfg.fan_in_fan_out !== undefined && typeof cfg.fan_in_fan_out !== 'boolean') refuse('fan_in_fan_out', 'a boolean');
  for (const field of ['target_parameters', 'trainable_token_indices', 'layer_replication', 'alora_invocation_tokens']) {
    const v = cfg[field];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) refuse(field, 'null (not supported by @peft)');
  }
  if (cfg.use_rslora !== undefined && typeof cfg.use_rslora !== 'boolean') refuse('use_rslora', 'a boolean');
}

/** The file's layers must be among `layers_to_transform` when the config lists them. */
function checkLayersToTransform(cfg: Record<string, unknown>, path: string, layers: readonly number[]): void {
  const ltt = cfg.layers_to_transform;
  if (ltt === undefined || ltt === null || (Array.isArray(ltt) && ltt.length === 0)) return;
  const allowed = typeof ltt === 'number' ? [ltt] : Array.isArray(ltt) && ltt.every((x) => Number.isInteger(x)) ? (ltt as number[]) : undefined;
  if (!allowed) throw new AdapterMismatchError(path, 'layers_to_transform', 'an integer, a list of integers or null', ltt);
  const outside = layers.filter((l) => !allowed.includes(l));
  if (outside.length) throw new AdapterMismatchError(path, 'layers_to_transform', `to list every layer with LoRA factors (${layers.join(', ')})`, ltt);
}

/**
 * `: its keys are under 'transformer.h' …` when the LoRA keys name another layer list than the model's (an adapter
 * for another base model).
 */
function otherArchitectureHint(spec: ModelSpec, entries: Map<string, SafetensorsEntry>): string {
  const own = hfFacts(spec).layersPath;
  for (const key of entries.keys()) {
    if (!/\.lora_[AB](?:\.[A-Za-z0-9_-]+)?\.weight$/.test(key)) continue;
    const m = /^(.*?)\.\d+\./.exec(modulePath(key));
    if (m && m[1] !== own) return `: its keys are under '${m[1]}', this model's layers under '${own}' (an adapter for another base model)`;
  }
  return '';
}

/** `base_model.model.transformer.h.0.attn.c_attn.lora_A.weight` → `transformer.h.0.attn.c_attn`. */
function modulePath(key: string): string {
  return key.replace(/^base_model\.model\./, '').replace(/\.lora_[AB](?:\.[A-Za-z0-9_-]+)?\.weight$/, '');
}

