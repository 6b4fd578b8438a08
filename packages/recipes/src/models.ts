// The model packages the recipes know, in this one file: importing each registers its checkpoint folders with
// @peft/models-base's loadModelFolder (by config.json's `model_type`). The recipes never name a model class.
import '@peft/models-gpt2-roberta';
import {
  describeModelFolder as describeRegistered,
  loadModelFolder as loadRegistered,
  loadTokenizerFolder as loadRegisteredTokenizer,
  type LoadModelOptions,
  type ModelDescription,
  type ModelTokenizer,
  type PeftModel,
} from '@peft/models-base';

/** Model packages loaded when installed (an optional dependency): each registers itself on import. */
const OPTIONAL_MODEL_PACKAGES: readonly string[] = ['@peft/models-llama'];

let optionalLoaded: Promise<void> | undefined;

/** Imports the optional model packages that are installed, once; one that is absent is skipped. */
export function registerOptionalModels(): Promise<void> {
  optionalLoaded ??= (async () => {
    for (const pkg of OPTIONAL_MODEL_PACKAGES) {
      try {
        await import(/* @vite-ignore */ pkg);
      } catch (e) {
        if (!isMissingPackage(e, pkg)) throw e;
      }
    }
  })();
  return optionalLoaded;
}

function isMissingPackage(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find|Failed to (load|resolve)/i.test(message)) && message.includes(pkg);
}

/** The facts of a checkpoint folder from its config.json (no weights read). */
export async function describeModelFolder(dir: string): Promise<ModelDescription> {
  await registerOptionalModels();
  return describeRegistered(dir);
}

/** The model a checkpoint folder holds, read by the package registered for its `model_type`. */
export async function loadModelFolder(dir: string, options: LoadModelOptions = {}): Promise<PeftModel> {
  await registerOptionalModels();
  return loadRegistered(dir, options);
}

/** The tokenizer of a checkpoint folder, read by its model's package. */
export async function loadTokenizerFolder(dir: string): Promise<ModelTokenizer> {
  await registerOptionalModels();
  return loadRegisteredTokenizer(dir);
}
