import * as tf from '@tensorflow/tfjs-core';
import {
  ADAPTER_WEIGHTS_FILE,
  AdapterMismatchError,
  MissingTensorError,
  TensorShapeMismatchError,
  finiteEntryToTensor,
  readSafetensorsFile,
  sameShape,
  type ModelSpec,
} from '@peft/core';
import { importHuggingFaceLora, type ImportHuggingFaceLoraOptions, type ImportedTaskHead } from '@peft/lora';
import { dora, magnitudeParamName, type DoraInstance, type DoraMethod } from './dora-method.js';
import { HF_MAGNITUDE_SUFFIX, magnitudePlans } from './hf-layout.js';

export interface ImportedDora {
  readonly method: DoraMethod;
  /** Owned by the caller: install it with `model.useMethod(instance)`, free it with `instance.dispose()`. */
  readonly instance: DoraInstance;
  /** The task head of `modules_to_save`, as @peft/lora's importer returns it (the caller disposes its tensors). */
  readonly taskHead?: ImportedTaskHead;
}

export type ImportHuggingFaceDoraOptions = Omit<ImportHuggingFaceLoraOptions, 'useDora'>;

/**
 * Reads a DoRA adapter directory written by Hugging Face PEFT (a LoraConfig with `use_dora: true`, and one
 * `<module>.lora_magnitude_vector` [d_out] per targeted module beside lora_A / lora_B) for a model of shape `spec`.
 * The LoRA part is @peft/lora's `importHuggingFaceLora` (ranks, α and their patterns, rsLoRA, layers, the task
 * head): a fused module (GPT-2's c_attn) becomes DoRA on each of its sites, and its magnitude vector is cut into the
 * sites' slices, which is exact because the norm is per output feature. Every module with factors must have its
 * magnitude vector, of its size, and no other may be there.
 */
export async function importHuggingFaceDora(dir: string, spec: ModelSpec, options: ImportHuggingFaceDoraOptions = {}): Promise<ImportedDora> {
  const { join } = await import('node:path');
  const imported = await importHuggingFaceLora(dir, spec, { ...options, useDora: true });
  const wPath = join(dir, ADAPTER_WEIGHTS_FILE);
  let instance: DoraInstance | undefined;
  const values: Record<string, tf.Tensor> = {};
  try {
    const method = dora(imported.method.config as Parameters<typeof dora>[0]);
    instance = method.init(spec, { seed: 0 });
    const file = await readSafetensorsFile(wPath);
    const plans = magnitudePlans(method.config, spec);
    const expected = new Set(plans.map((p) => p.key));
    for (const key of file.tensors.keys()) {
      if (key.endsWith(`.${HF_MAGNITUDE_SUFFIX}`) && !expected.has(key)) {
        throw new AdapterMismatchError(wPath, key, `a magnitude vector of a module with LoRA factors (${[...expected].slice(0, 3).join(', ')}…)`, 'a magnitude vector of no such module');
      }
    }
    for (const plan of plans) {
      const entry = file.tensors.get(plan.key);
      if (!entry) throw new MissingTensorError(wPath, plan.key);
      if (!sameShape(entry.shape, [plan.size])) throw new TensorShapeMismatchError(wPath, plan.key, [plan.size], entry.shape);
      const m = finiteEntryToTensor(entry, plan.key, wPath);
      try {
        // @peft/lora's importer puts every site of a fused module under LoRA, so every slice is a targeted site's
        for (const s of plan.slices) values[magnitudeParamName(plan.layer, s.site)] = tf.slice(m, [s.offset], [s.size]);
      } finally {
        m.dispose();
      }
    }
    // A and B as @peft/lora read them (DoRA's parameters carry LoRA's names), and the magnitudes: every name, no other
    instance.params.assign({ ...imported.instance.params.toRecord(), ...values }, wPath);
    return { method, instance, ...(imported.taskHead ? { taskHead: imported.taskHead } : {}) };
  } catch (e) {
    instance?.dispose();
    if (imported.taskHead) tf.dispose(Object.values(imported.taskHead.tensors));
    throw e;
  } finally {
    tf.dispose(Object.values(values));
    imported.instance.dispose();
  }
}
