import { TokenizerFileError } from './errors.js';
import type { Merge, TokenizerJson } from './tokenizer-json.js';

/** The file names a Hugging Face checkpoint directory may hold for its tokenizer. */
export const TOKENIZER_FILE_NAMES = Object.freeze({
  tokenizerJson: 'tokenizer.json',
  vocabJson: 'vocab.json',
  mergesTxt: 'merges.txt',
  addedTokensJson: 'added_tokens.json',
  tokenizerConfigJson: 'tokenizer_config.json',
  specialTokensMapJson: 'special_tokens_map.json',
} as const);

/** The text of each tokenizer file that exists (a missing file is `undefined`). */
export type TokenizerFiles = { -readonly [K in keyof typeof TOKENIZER_FILE_NAMES]?: string };

/** Reads whichever tokenizer files `dir` holds. Throws when it has neither tokenizer.json nor vocab.json + merges.txt. */
export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const files: TokenizerFiles = {};
  for (const [key, name] of Object.entries(TOKENIZER_FILE_NAMES) as [keyof TokenizerFiles, string][]) {
    try {
      files[key] = await readFile(join(dir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  if (files.tokenizerJson === undefined && (files.vocabJson === undefined || files.mergesTxt === undefined)) {
    throw new TokenizerFileError(
      'E_TOKENIZER_MISSING',
      dir,
      'no tokenizer.json, and no vocab.json + merges.txt pair: cannot build a tokenizer',
    );
  }
  return files;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizerFileError('E_TOKENIZER_FILE', path, `not valid JSON (${(error as Error).message})`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON object file (tokenizer_config.json, special_tokens_map.json); `{}` when absent. */
export function parseJsonObject(text: string | undefined, path: string): Record<string, unknown> {
  if (text === undefined) return {};
  const value = parseJson(text, path);
  if (!isRecord(value)) throw new TokenizerFileError('E_TOKENIZER_FILE', path, 'expected a JSON object');
  return value;
}

/** vocab.json / added_tokens.json: token → id, ids non-negative integers, no id used twice. */
export function parseVocabJson(text: string, path: string): Record<string, number> {
  const value = parseJsonObject(text, path);
  const owner = new Map<number, string>();
  for (const [token, id] of Object.entries(value)) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new TokenizerFileError('E_TOKENIZER_FILE', path, `token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected a non-negative integer`);
    }
    const other = owner.get(id);
    if (other !== undefined) {
      throw new TokenizerFileError('E_TOKENIZER_FILE', path, `id ${id} is given to both ${JSON.stringify(other)} and ${JSON.stringify(token)}`);
    }
    owner.set(id, token);
  }
  return value as Record<string, number>;
}

/**
 * merges.txt: one merge "a b" a line, rank = order; `#version` lines and empty lines are skipped (as HF `tokenizers` does).
 * A line that is not exactly two space-separated symbols is an error naming its line number.
 */
export function parseMergesTxt(text: string, path: string): Merge[] {
  const merges: Merge[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || line.startsWith('#version')) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new TokenizerFileError('E_TOKENIZER_FILE', path, `expected two symbols separated by one space, got ${JSON.stringify(line)}`, index + 1);
    }
    merges.push([parts[0]!, parts[1]!]);
  });
  return merges;
}

/** tokenizer.json, checked for what a byte-level BPE needs: a BPE model with a vocab object and a merges array. */
export function parseTokenizerJson(text: string, path: string): TokenizerJson {
  const value = parseJsonObject(text, path);
  const model = value.model;
  if (!isRecord(model)) throw new TokenizerFileError('E_TOKENIZER_FILE', path, "field 'model' is missing or not an object");
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new TokenizerFileError('E_TOKENIZER_FILE', path, `field 'model.type' is ${JSON.stringify(model.type)}, only byte-level 'BPE' (GPT-2, RoBERTa) is supported`);
  }
  if (!isRecord(model.vocab)) throw new TokenizerFileError('E_TOKENIZER_FILE', path, "field 'model.vocab' is missing or not an object");
  if (!Array.isArray(model.merges)) throw new TokenizerFileError('E_TOKENIZER_FILE', path, "field 'model.merges' is missing or not an array");
  const preTokenizer = value.pre_tokenizer;
  if (!isRecord(preTokenizer) || preTokenizer.type !== 'ByteLevel') {
    throw new TokenizerFileError('E_TOKENIZER_FILE', path, `field 'pre_tokenizer' is ${JSON.stringify(isRecord(preTokenizer) ? preTokenizer.type : preTokenizer)}, expected a ByteLevel pre-tokenizer`);
  }
  const addedTokens = value.added_tokens ?? [];
  if (!Array.isArray(addedTokens)) throw new TokenizerFileError('E_TOKENIZER_FILE', path, "field 'added_tokens' is not an array");
  return {
    ...value,
    added_tokens: addedTokens,
    normalizer: value.normalizer ?? null,
    pre_tokenizer: preTokenizer,
    post_processor: value.post_processor ?? null,
    decoder: value.decoder ?? null,
    model: { ...model, type: 'BPE', vocab: model.vocab as Record<string, number>, merges: model.merges as string[] },
  };
}
