import { readCheckpointConfig } from '@peft/models-base';
import { modelTypeOf } from '@peft/models-base';
import { ArchitectureMismatchError } from '@peft/models-base';
import { loadGpt2 } from './gpt2/load.js';
import type { Gpt2Model } from './gpt2/model.js';
import { loadRoberta, type LoadRobertaOptions } from './roberta/load.js';
import type { RobertaModel } from './roberta/model.js';

export type LoadedModel = Gpt2Model | RobertaModel;

/** Loads a checkpoint directory as GPT-2 or RoBERTa, by config.json's `model_type`. */
export async function loadModel(dir: string, options: LoadRobertaOptions = {}): Promise<LoadedModel> {
  const cfg = await readCheckpointConfig(dir);
  const type = modelTypeOf(cfg.json);
  if (type === 'gpt2') return loadGpt2(dir);
  if (type === 'roberta') return loadRoberta(dir, options);
  throw new ArchitectureMismatchError(cfg.path, "'gpt2' or 'roberta'", type);
}
