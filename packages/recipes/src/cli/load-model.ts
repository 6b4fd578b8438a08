import type { LoadModelOptions, PeftModel } from '@peft/models-base';
import { loadModelFolder, loadTokenizerFolder } from '../models.js';
import type { NlgTokenizer } from '../task/nlg.js';

/**
 * The model of a checkpoint folder and its tokenizer, both read by the model package registered for the folder's
 * `model_type`; the tokenizer must be of the model's kind (a GPT-2 tokenizer beside RoBERTa weights, or the reverse,
 * is a TokenizerFileError naming the folder, not a failure later on). The model is freed when the tokenizer cannot be
 * loaded.
 */
export async function loadModelAndTokenizer(dir: string, options: LoadModelOptions = {}): Promise<{ model: PeftModel; tok: NlgTokenizer }> {
  const model = await loadModelFolder(dir, options);
  try {
    const tok = await loadTokenizerFolder(dir);
    return { model, tok };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
