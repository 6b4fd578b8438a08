import * as tf from '@tensorflow/tfjs-core';
import { totalmem } from 'node:os';
import { BACKEND_CANDIDATES, siteShape } from '@peft/core';
import { describeModelFolder } from '../models.js';
import { RECIPES } from '../recipes.js';
import { planTrainingBackend, type BackendPlan, type TrainingShape } from '../train/memory-plan.js';
import type { TrainSettings } from './run-context.js';

/** The shape of the step `peft train` will run: the checkpoint's config.json, the batch size and the row length. */
export async function trainingShape(s: Pick<TrainSettings, 'task' | 'modelDir' | 'batchSize' | 'maxLength'>): Promise<TrainingShape> {
  const m = await describeModelFolder(s.modelDir);
  const recipe = RECIPES[s.task];
  const batch = s.batchSize ?? recipe.batchSize;
  const { spec, baseParameterCount: parameters } = m;
  const gatedFfn = siteShape(spec, 'ffn.gate') !== undefined;
  const shape = { layers: spec.numLayers, hidden: spec.hiddenSize, heads: spec.numHeads, inner: spec.intermediateSize, vocab: spec.vocabSize ?? 0, parameters, batch, gatedFfn };
  if (m.kind === 'classifier') {
    // NLU rows are padded to the length limit ('global' padding, as the reference)
    return { family: 'nlu', ...shape, seq: Math.min(512, m.positionLimit.tokens, s.maxLength ?? Infinity) };
  }
  // NLG rows are padded to the batch's longest; 512 tokens unless a shorter limit is given
  return { family: 'nlg', ...shape, seq: Math.min(m.positionLimit.tokens - 32, s.maxLength ?? 512) };
}

/** Which of tfjs-node, wasm and cpu load here (importing one registers it): the backends the memory plan weighs. */
export async function installedBackends(): Promise<string[]> {
  const found = new Set<string>(['cpu'].filter((b) => tf.findBackendFactory(b)));
  for (const c of BACKEND_CANDIDATES) {
    if (!c.pkg || found.has(c.backend) || !['tensorflow', 'wasm', 'cpu'].includes(c.backend)) continue;
    try {
      await import(/* @vite-ignore */ c.pkg);
      if (tf.findBackendFactory(c.backend)) found.add(c.backend);
    } catch {
      // not installed
    }
  }
  return [...found];
}

/** Memory a training run may take where no heap caps it: PEFT_MEMORY_BUDGET_GB, else half of this machine's. */
export function memoryBudget(env: Record<string, string | undefined> = process.env): number {
  const gb = Number(env.PEFT_MEMORY_BUDGET_GB);
  return Number.isFinite(gb) && gb > 0 ? gb * 2 ** 30 : totalmem() / 2;
}

/** The plan for a `peft train` run: the backend its model fits, why, and the blocks to rematerialise. */
export async function planTraining(
  s: Pick<TrainSettings, 'task' | 'modelDir' | 'batchSize' | 'maxLength'>,
  nativeKernels: boolean,
  only?: 'wasm' | 'cpu',
): Promise<BackendPlan> {
  const installed = only ? [only] : await installedBackends();
  return planTrainingBackend(await trainingShape(s), { installed, nativeKernels, budget: memoryBudget() });
}
