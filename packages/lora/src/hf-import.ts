import * as tf from '@tensorflow/tfjs-core';
import {
  AdapterMismatchError,
  CheckpointError,
  ConfigError,
  MissingTensorError,
  TensorShapeMismatchError,
  finiteEntryToTensor,
  readSafetensorsFile,
  sameShape,
  validateModelSpec,
  type LinearSite,
  type ModelSpec,
} from '@peft/core';
import type { LoraOptions } from './config.js';
import { HF_KEY_PREFIX, hfModules, parseHfKey, type HfModule } from './hf-modules.js';
import { lora, type LoraInstance, type LoraMethod } from './lora-method.js';
import { loraParamName, siteDims } from './sites.js';

export interface ImportHuggingFaceLoraOptions {
  /**
   * Tensors that are not LoRA factors of a known module (e.g. a SEQ_CLS adapter's `classifier.*` modules_to_save)
   * are an error by default; `true` skips them.
   */
  readonly ignoreOtherTensors?: boolean;
}

export interface ImportedLora {
  readonly method: LoraMethod;
  /** Owned by the caller: install it with `model.useMethod(instance)`, free it with `instance.dispose()`. */
  readonly instance: LoraInstance;
}

/**
 * Reads a LoRA adapter directory written by Hugging Face PEFT (adapter_config.json + adapter_model.safetensors, no
 * @peft fields) for a GPT-2 or RoBERTa model of shape `spec`, as a `loralib`-flavour LoRA. A GPT-2 `c_attn` LoRA of
 * rank R becomes LoRA on attn.q, attn.k and attn.v, each of rank R with a copy of A and its third of B: the same map.
 */
export async function importHuggingFaceLora(
  dir: string,
  spec: ModelSpec,
  options: ImportHuggingFaceLoraOptions = {},
): Promise<ImportedLora> {
  validateModelSpec(spec);
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const cfgPath = join(dir, 'adapter_config.json');
  const wPath = join(dir, 'adapter_model.safetensors');
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError('E_BAD_CONFIG', cfgPath, `cannot read a JSON adapter config (${(e as Error).message})`);
  }
  checkSupported(cfg, cfgPath);
  let file;
  try {
    file = await readSafetensorsFile(wPath);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') {
      throw new CheckpointError('E_MISSING_FILE', wPath, 'missing (only safetensors adapters are read; re-save with safe_serialization=True)');
    }
    throw e;
  }

  // group the factors by module and layer
  const found = new Map<string, Map<number, { A?: string; B?: string }>>();
  for (const key of file.tensors.keys()) {
    const parsed = parseHfKey(spec, key);
    if (!parsed) {
      if (options.ignoreOtherTensors) continue;
      throw new ConfigError(key, `${wPath} holds a tensor that is not a LoRA factor of a ${spec.architecture} linear module (pass ignoreOtherTensors to skip it)`);
    }
    const byLayer = found.get(parsed.module.name) ?? new Map();
    found.set(parsed.module.name, byLayer);
    const entry = byLayer.get(parsed.layer) ?? {};
    byLayer.set(parsed.layer, entry);
    entry[parsed.part === 'lora_A' ? 'A' : 'B'] = key;
  }
  if (found.size === 0) throw new CheckpointError('E_NO_LORA', wPath, `holds no LoRA factors of a ${spec.architecture} model`);

  const rank: Partial<Record<LinearSite, number>> = {};
  const alpha: Partial<Record<LinearSite, number>> = {};
  const modules: { module: HfModule; rank: number; keys: { A: string; B: string }[] }[] = [];
  for (const module of hfModules(spec)) {
    const byLayer = found.get(module.name);
    if (!byLayer) continue;
    const keys: { A: string; B: string }[] = [];
    let r: number | undefined;
    for (let layer = 0; layer < spec.numLayers; layer++) {
      const e = byLayer.get(layer);
      const want = `${HF_KEY_PREFIX}…${module.name} of layer ${layer}`;
      if (!e?.A) throw new MissingTensorError(wPath, `${want} lora_A (@peft LoRA acts on every layer)`);
      if (!e.B) throw new MissingTensorError(wPath, `${want} lora_B`);
      const a = file.tensors.get(e.A)!;
      const b = file.tensors.get(e.B)!;
      const dIn = siteDims(spec, module.sites[0]!)[0];
      const dOut = module.sites.reduce((n, s) => n + siteDims(spec, s)[1], 0);
      r ??= a.shape[0]!;
      if (!sameShape(a.shape, [r, dIn])) throw new TensorShapeMismatchError(wPath, e.A, [r, dIn], a.shape);
      if (!sameShape(b.shape, [dOut, r])) throw new TensorShapeMismatchError(wPath, e.B, [dOut, r], b.shape);
      keys.push({ A: e.A, B: e.B });
    }
    for (const layer of byLayer.keys()) {
      if (layer >= spec.numLayers) throw new ConfigError(byLayer.get(layer)!.A ?? byLayer.get(layer)!.B!, `layer ${layer} is beyond the model's ${spec.numLayers} layers`);
    }
    const path = modulePath(keys[0]!.A);
    const a = resolvePattern(cfg, 'alpha_pattern', 'lora_alpha', path, cfgPath);
    const rCfg = resolvePattern(cfg, 'rank_pattern', 'r', path, cfgPath);
    if (rCfg !== r) throw new AdapterMismatchError(cfgPath, `r (for ${path})`, r, rCfg);
    for (const s of module.sites) {
      rank[s] = r!;
      alpha[s] = a;
    }
    modules.push({ module, rank: r!, keys });
  }

  const sites = Object.keys(rank) as LinearSite[];
  const dropout = typeof cfg.lora_dropout === 'number' ? cfg.lora_dropout : 0;
  const hf = {
    baseModelNameOrPath: typeof cfg.base_model_name_or_path === 'string' ? cfg.base_model_name_or_path : null,
    taskType: typeof cfg.task_type === 'string' ? cfg.task_type : null,
  };
  const options2: LoraOptions = { sites, rank, alpha, dropout, flavour: 'loralib', hf };
  const method = lora(options2);
  const instance = method.init(spec, { seed: 0 });
  const values: Record<string, tf.Tensor> = {};
  try {
    for (const { module, rank: r, keys } of modules) {
      keys.forEach(({ A, B }, layer) => {
        const a = finiteEntryToTensor(file.tensors.get(A)!, A, wPath);
        const b = finiteEntryToTensor(file.tensors.get(B)!, B, wPath);
        let row = 0;
        for (const site of module.sites) {
          const d = siteDims(spec, site)[1];
          values[loraParamName(layer, site, 'lora_A')] = tf.clone(a);
          values[loraParamName(layer, site, 'lora_B')] = tf.slice(b, [row, 0], [d, r]);
          row += d;
        }
        a.dispose();
        b.dispose();
      });
    }
    instance.params.assign(values, wPath);
  } catch (e) {
    instance.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(values));
  }
  return { method, instance };
}

function checkSupported(cfg: Record<string, unknown>, path: string): void {
  if (cfg.peft_type !== 'LORA') throw new AdapterMismatchError(path, 'peft_type', 'LORA', cfg.peft_type);
  const refuse = (field: string, why: string): never => {
    throw new AdapterMismatchError(path, field, why, cfg[field]);
  };
  if (cfg.use_dora === true) refuse('use_dora', 'false (DoRA is not LoRA)');
  if (cfg.use_rslora === true) refuse('use_rslora', 'false (scaling α/√r is not supported)');
  if (cfg.bias !== undefined && cfg.bias !== 'none') refuse('bias', "'none' (trained base biases are not a LoRA factor)");
  if (cfg.lora_bias === true) refuse('lora_bias', 'false');
  const ltt = cfg.layers_to_transform;
  if (ltt !== undefined && ltt !== null && !(Array.isArray(ltt) && ltt.length === 0)) {
    refuse('layers_to_transform', 'null (@peft LoRA acts on every layer)');
  }
}

/** `base_model.model.transformer.h.0.attn.c_attn.lora_A.weight` → `transformer.h.0.attn.c_attn`. */
function modulePath(key: string): string {
  return key.replace(/^base_model\.model\./, '').replace(/\.lora_[AB](?:\.[A-Za-z0-9_-]+)?\.weight$/, '');
}

/** HF PEFT's `get_pattern_key`: the first pattern key P with `(.*\.)?(P)$` matching the module path, else the default. */
function resolvePattern(cfg: Record<string, unknown>, patternField: string, defaultField: string, path: string, cfgPath: string): number {
  const patterns = cfg[patternField];
  if (patterns && typeof patterns === 'object') {
    for (const [k, v] of Object.entries(patterns as Record<string, unknown>)) {
      if (new RegExp(`^(.*\\.)?(${k})$`).test(path)) {
        if (typeof v !== 'number') throw new AdapterMismatchError(cfgPath, `${patternField}.${k}`, 'a number', v);
        return v;
      }
    }
  }
  const v = cfg[defaultField] ?? 8; // HF defaults: r = 8, lora_alpha = 8
  if (typeof v !== 'number' || !(v > 0)) throw new AdapterMismatchError(cfgPath, defaultField, 'a positive number', v);
  return v;
}
