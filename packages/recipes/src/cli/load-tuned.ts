import { loadAdapter } from '@peft/core';
import { isCausalLm, type PeftModel } from '@peft/models-base';
import { loadModelAndTokenizer } from './load-model.js';
import { addTaskTokens, loadTaskEmbeddings, type NlgTokenizer } from '../task/nlg.js';

/**
 * A base model with a saved adapter loaded into it (a causal LM: with the task tokens and their trained rows), for
 * `peft eval` and `peft generate`. `dispose` frees both.
 */
export async function loadTuned(
  modelDir: string,
  adapterDir: string,
  head?: { numLabels: number; seed: number },
): Promise<{ model: PeftModel; tok: NlgTokenizer; dispose: () => void }> {
  const { model, tok } = await loadModelAndTokenizer(modelDir, head ?? {});
  try {
    if (isCausalLm(model)) addTaskTokens(model, tok, 0);
    // the adapter first: a folder that is no adapter, or one for another model, is reported as that
    const tuned = await loadAdapter(adapterDir, model);
    try {
      if (isCausalLm(model)) await loadTaskEmbeddings(model, adapterDir);
    } catch (e) {
      tuned.dispose();
      throw e;
    }
    return { model, tok, dispose: () => { tuned.dispose(); model.dispose(); } };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
