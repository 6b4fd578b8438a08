import { presetRegistry, RECIPES, type TaskName } from '@peft/recipes';
import type { TrainFlagValue } from './train-flags.js';

/**
 * The paper's settings that differ between methods of one task (spec §6): what a sweep job gets unless the sweep
 * file says otherwise. The rest of each task's recipe (optimizer, schedule, epochs, early stopping, label smoothing)
 * is `peft train`'s own default and needs no flag.
 *
 * NLG (KA `run_nlg.sh`, 4 GPUs with DDP): lr 1.25e-3 for every PETL config; the batch per GPU is 2 for the
 * inducer + LoRA and inducer-only configs and 4 for inducer-MAM and the Pfeiffer adapter; one process reproduces
 * the 4 processes' mean of means with `--accum 4`. Configs the authors did not ship (LoRA-54, prefix-tuning, MAM
 * adapter) get the recipe's batch 2.
 * NLU (KA / HE `run_glue.sh`): batch 16 and lr 2e-4 for the inducer configs; He et al.'s MAM: batch 32, lr 1e-4.
 */
const NLG_BATCH_PER_GPU: Readonly<Record<string, number>> = { 'inducer-mam': 4, 'adapter-108': 4 };
const NLG_GPUS = 4;
const NLU_BY_PRESET: Readonly<Record<string, { batch: number; lr: number }>> = { 'he-mam-glue': { batch: 32, lr: 1e-4 } };

export function paperTrainFlags(task: TaskName, preset: string): Record<string, TrainFlagValue> {
  const recipe = RECIPES[task];
  if (recipe.family === 'nlg') {
    return { 'batch-size': NLG_BATCH_PER_GPU[preset] ?? recipe.batchSize, accum: NLG_GPUS, lr: recipe.lr };
  }
  const p = NLU_BY_PRESET[preset];
  return { 'batch-size': p?.batch ?? recipe.batchSize, lr: p?.lr ?? recipe.lr };
}

/**
 * Seeds when the sweep file names none. NLU: 42 and the other seeds He et al.'s run_glue.sh lists (2, 4, 6, 8).
 * NLG: 123, the only seed the authors' configs state (later seeds are drawn at random by their script, spec §6.1),
 * so an NLG sweep that wants a standard deviation must list its seeds.
 */
export function paperSeeds(task: TaskName): readonly number[] {
  return RECIPES[task].family === 'nlu' ? [42, 2, 4, 6, 8] : [RECIPES[task].seed];
}

/** Presets when the sweep file names none: every preset of the task's family (the rows of the paper's tables). */
export function paperPresets(task: TaskName): readonly string[] {
  const family = RECIPES[task].family;
  return Object.entries(presetRegistry())
    .filter(([, p]) => p.family === family && p.paper !== false)
    .map(([name]) => name);
}
