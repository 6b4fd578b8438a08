import { Gpt2Model, loadGpt2Tokenizer, loadModel, loadRobertaTokenizer, type LoadedModel } from '@peft/models-gpt2-roberta';
import type { LoadRobertaOptions } from '@peft/models-gpt2-roberta';
import type { NlgTokenizer } from '../task/nlg.js';

/**
 * The model of a checkpoint folder and its tokenizer, which must be of the model's architecture: a GPT-2 tokenizer
 * beside RoBERTa weights (or the reverse) is a TokenizerFileError naming the folder, not a failure later on. The
 * model is freed when the tokenizer cannot be loaded.
 */
export async function loadModelAndTokenizer(dir: string, options: LoadRobertaOptions = {}): Promise<{ model: LoadedModel; tok: NlgTokenizer }> {
  const model = await loadModel(dir, options);
  try {
    const tok = model instanceof Gpt2Model ? await loadGpt2Tokenizer(dir) : await loadRobertaTokenizer(dir);
    return { model, tok: tok as unknown as NlgTokenizer };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
