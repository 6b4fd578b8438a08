import * as tf from '@tensorflow/tfjs-core';
import { AdapterMismatchError, CheckpointError, HF_MODEL_KEY_PREFIX, isFileNotFound, readSafetensorsFile, type ModelSpec, type SafetensorsEntry } from '@peft/core';

/** A Hugging Face PEFT adapter directory as read: its config and its safetensors entries (any float dtype). */
export interface HuggingFaceAdapterFiles {
  readonly cfg: Record<string, unknown>;
  readonly cfgPath: string;
  readonly wPath: string;
  readonly tensors: Map<string, SafetensorsEntry>;
}

/** A task head of `modules_to_save`, its tensors under names below the module (`dense.weight`), owned by the caller. */
export interface ImportedTaskHead {
  readonly module: string;
  readonly tensors: Record<string, tf.Tensor>;
}

/** The module of the task head the model has (`modules_to_save`), if any: a fact of its spec. */
function headModule(spec: ModelSpec): string | undefined {
  return spec.hf?.headModule;
}

/**
 * Reads adapter_config.json and adapter_model.safetensors (F32, F16 or BF16; read as float32). The pickle form
 * (adapter_model.bin) is refused with the command that converts it; `baseModel`, when given, must be the config's
 * `base_model_name_or_path`.
 */
export async function readHuggingFaceAdapter(dir: string, options: { baseModel?: string } = {}): Promise<HuggingFaceAdapterFiles> {
  const { join } = await import('node:path');
  const { readFile, access } = await import('node:fs/promises');
  const cfgPath = join(dir, 'adapter_config.json');
  const wPath = join(dir, 'adapter_model.safetensors');
  let text: string;
  try {
    text = await readFile(cfgPath, 'utf8');
  } catch {
    throw new CheckpointError('E_MISSING_FILE', cfgPath, 'no adapter config here (is this an adapter directory?)');
  }
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError('E_BAD_JSON', cfgPath, `not valid JSON (${(e as Error).message})`);
  }
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw new CheckpointError('E_BAD_JSON', cfgPath, 'not a JSON object');
  if (options.baseModel !== undefined && typeof cfg.base_model_name_or_path === 'string' && cfg.base_model_name_or_path !== options.baseModel) {
    throw new AdapterMismatchError(cfgPath, 'base_model_name_or_path', options.baseModel, cfg.base_model_name_or_path);
  }
  let file;
  try {
    file = await readSafetensorsFile(wPath);
  } catch (e) {
    if (!isFileNotFound(e)) throw e;
    const bin = join(dir, 'adapter_model.bin');
    const hasBin = await access(bin).then(() => true, () => false);
    if (hasBin) {
      throw new CheckpointError(
        'E_PICKLE_ADAPTER',
        bin,
        'a PyTorch pickle, which @peft does not read (unpickling runs code). Convert it in Python: ' +
          `python -c "import torch; from safetensors.torch import save_file; save_file(torch.load('${bin}', map_location='cpu', weights_only=True), '${wPath}', metadata={'format': 'pt'})" ` +
          '(or load it with PeftModel.from_pretrained and save_pretrained(dir, safe_serialization=True))',
      );
    }
    throw new CheckpointError('E_MISSING_FILE', wPath, 'missing (an adapter is read from adapter_model.safetensors)');
  }
  return { cfg, cfgPath, wPath, tensors: file.tensors };
}

/**
 * Splits the task head's entries (`base_model.model.classifier.…`, also `….classifier.modules_to_save.<adapter>.…`)
 * off the rest. A `modules_to_save` head this architecture has no counterpart for is refused.
 */
export function splitHeadEntries(
  files: HuggingFaceAdapterFiles,
  spec: ModelSpec,
): { head?: { module: string; entries: Map<string, SafetensorsEntry> }; rest: Map<string, SafetensorsEntry> } {
  const { cfg, cfgPath, tensors } = files;
  const listed = Array.isArray(cfg.modules_to_save) ? (cfg.modules_to_save as unknown[]).filter((m): m is string => typeof m === 'string') : [];
  const own = headModule(spec);
  const rest = new Map(tensors);
  let head: { module: string; entries: Map<string, SafetensorsEntry> } | undefined;
  for (const module of new Set([...listed, ...(own ? [own] : [])])) {
    const re = new RegExp(`^${HF_MODEL_KEY_PREFIX.replace(/\./g, '\\.')}${module.replace(/\./g, '\\.')}\\.(?:modules_to_save\\.[A-Za-z0-9_-]+\\.)?(.+)$`);
    const entries = new Map<string, SafetensorsEntry>();
    for (const [key, e] of tensors) {
      const m = re.exec(key);
      if (!m) continue;
      entries.set(m[1]!, e);
      rest.delete(key);
    }
    if (entries.size === 0) continue;
    if (module !== own) {
      throw new AdapterMismatchError(cfgPath, 'modules_to_save', own ? [own] : `none (a ${spec.architecture} model has no task head)`, cfg.modules_to_save);
    }
    head = { module, entries };
  }
  return head ? { head, rest } : { rest };
}
