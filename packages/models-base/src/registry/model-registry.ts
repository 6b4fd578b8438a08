import type { ModelSpec } from '@peft/core';
import { readCheckpointConfig } from '../checkpoint/directory.js';
import { modelTypeOf } from '../checkpoint/fields.js';
import { ArchitectureMismatchError } from '../errors.js';
import type { PeftModel, PositionLimit } from './model-kinds.js';

/** The little of a tokenizer the recipes use; a model package's loader returns the tokenizer of its folders. */
export interface ModelTokenizer {
  /** Tokenises one string as it is: no leading space added, no special tokens inserted. */
  encode(text: string): number[];
  decode(ids: readonly number[], options?: { readonly skipSpecialTokens?: boolean }): string;
  /** The id of a (special) token, or undefined. */
  tokenToId(token: string): number | undefined;
  /** Adds special tokens after the vocabulary (those it has are kept); returns how many were new. */
  addSpecialTokens(tokens: readonly string[]): number;
}

/** What a checkpoint folder's config.json says, read without the weights. */
export interface ModelDescription {
  /** config.json's `model_type`. */
  readonly modelType: string;
  readonly kind: PeftModel['kind'];
  readonly spec: ModelSpec;
  /** The Hugging Face parameter count of the base (for percentages). */
  readonly baseParameterCount: number;
  readonly positionLimit: PositionLimit;
}

export interface LoadModelOptions {
  /** Classifiers: the classes of a head the checkpoint does not hold (initialised with `seed`). */
  readonly numLabels?: number;
  readonly seed?: number;
}

/** How a model package reads its checkpoint folders. */
export interface ModelLoader {
  /** The facts of a config.json (`path` names it in errors). */
  describe(json: Record<string, unknown>, path: string): Omit<ModelDescription, 'modelType'>;
  load(dir: string, options?: LoadModelOptions): Promise<PeftModel>;
  loadTokenizer(dir: string): Promise<ModelTokenizer>;
}

const loaders = new Map<string, ModelLoader>();

/**
 * Makes checkpoint folders whose config.json names one of `modelTypes` loadable by {@link loadModelFolder}; each
 * model package registers itself when imported. A later registration of a type replaces the earlier one.
 */
export function registerModelLoader(modelTypes: readonly string[], loader: ModelLoader): void {
  for (const t of modelTypes) loaders.set(t, loader);
}

/** The `model_type`s a loader is registered for. */
export function registeredModelTypes(): string[] {
  return [...loaders.keys()];
}

async function loaderOf(dir: string): Promise<{ loader: ModelLoader; json: Record<string, unknown>; path: string; modelType: string }> {
  const { json, path } = await readCheckpointConfig(dir);
  const modelType = modelTypeOf(json);
  const loader = loaders.get(modelType);
  if (!loader) {
    const known = registeredModelTypes();
    throw new ArchitectureMismatchError(path, known.length ? `one of ${known.map((t) => `'${t}'`).join(', ')} (import the @peft model package that reads it)` : 'a registered model type (import a @peft model package)', modelType);
  }
  return { loader, json, path, modelType };
}

/** The facts of a checkpoint folder from its config.json alone (no weights are read). */
export async function describeModelFolder(dir: string): Promise<ModelDescription> {
  const { loader, json, path, modelType } = await loaderOf(dir);
  return { modelType, ...loader.describe(json, path) };
}

/** Loads a checkpoint folder with the loader its config.json's `model_type` is registered to. */
export async function loadModelFolder(dir: string, options: LoadModelOptions = {}): Promise<PeftModel> {
  const { loader } = await loaderOf(dir);
  return loader.load(dir, options);
}

/** The tokenizer of a checkpoint folder, read by its model's package. */
export async function loadTokenizerFolder(dir: string): Promise<ModelTokenizer> {
  const { loader } = await loaderOf(dir);
  return loader.loadTokenizer(dir);
}
