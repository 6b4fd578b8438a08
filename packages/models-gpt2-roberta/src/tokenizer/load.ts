import { TokenizerFileError } from './errors.js';
import { parseJsonObject, parseMergesTxt, parseTokenizerJson, parseVocabJson, readTokenizerFiles, type TokenizerFiles } from './files.js';
import { Gpt2Tokenizer } from './gpt2-tokenizer.js';
import { RobertaTokenizer } from './roberta-tokenizer.js';
import { GPT2_END_OF_TEXT, ROBERTA_SPECIALS } from './special-tokens.js';
import { addedToken, byteLevelTokenizerJson, type TokenizerJson, type TokenizerKind } from './tokenizer-json.js';

/** Either tokenizer; narrow on `kind`. */
export type CheckpointTokenizer = Gpt2Tokenizer | RobertaTokenizer;

const SPECIAL_TOKEN_FIELDS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

/** Token names of a special_tokens_map.json / tokenizer_config.json (strings or `{ content }` objects). */
function specialTokenNames(map: Record<string, unknown>): string[] {
  const name = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string' ? (value as { content: string }).content : undefined;
  const names = SPECIAL_TOKEN_FIELDS.map((field) => name(map[field]));
  const additional = Array.isArray(map.additional_special_tokens) ? map.additional_special_tokens.map(name) : [];
  return [...names, ...additional].filter((n): n is string => n !== undefined);
}

/** GPT-2 or RoBERTa: from tokenizer_config.json's class, else tokenizer.json's post-processor, else the vocabulary. */
function detectKind(config: Record<string, unknown>, json: TokenizerJson | undefined, vocab: Record<string, number>): TokenizerKind {
  const cls = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.toLowerCase() : '';
  if (cls.includes('roberta')) return 'roberta';
  if (cls.includes('gpt2')) return 'gpt2';
  const post = json?.post_processor as { type?: unknown } | null | undefined;
  if (post?.type === 'RobertaProcessing') return 'roberta';
  const { bos, eos, pad } = ROBERTA_SPECIALS;
  if ([bos, eos, pad].every((t) => Object.hasOwn(vocab, t)) && !Object.hasOwn(vocab, GPT2_END_OF_TEXT)) return 'roberta';
  return 'gpt2';
}

/**
 * A tokenizer from the texts of a checkpoint's tokenizer files: tokenizer.json when present, else vocab.json +
 * merges.txt (+ added_tokens.json) turned into the tokenizer.json HF would write for them. `source` names the
 * directory in messages.
 */
export function tokenizerFromFiles(files: TokenizerFiles, source: string): CheckpointTokenizer {
  const at = (name: string): string => `${source}/${name}`;
  const config = parseJsonObject(files.tokenizerConfigJson, at('tokenizer_config.json'));
  const specials = [
    ...specialTokenNames(config),
    ...specialTokenNames(parseJsonObject(files.specialTokensMapJson, at('special_tokens_map.json'))),
  ];
  let json: TokenizerJson;
  let kind: TokenizerKind;
  if (files.tokenizerJson !== undefined) {
    json = parseTokenizerJson(files.tokenizerJson, at('tokenizer.json'));
    kind = detectKind(config, json, json.model.vocab);
  } else if (files.vocabJson !== undefined && files.mergesTxt !== undefined) {
    const vocab = parseVocabJson(files.vocabJson, at('vocab.json'));
    const merges = parseMergesTxt(files.mergesTxt, at('merges.txt'));
    kind = detectKind(config, undefined, vocab);
    // Slow-tokenizer checkpoints keep tokens added after the base vocabulary in added_tokens.json, ordered by id.
    const extra = Object.entries(files.addedTokensJson === undefined ? {} : parseVocabJson(files.addedTokensJson, at('added_tokens.json')))
      .filter(([token]) => !Object.hasOwn(vocab, token))
      .sort(([, a], [, b]) => a - b)
      .map(([token, id]) => addedToken(id, token, { special: specials.includes(token), lstrip: kind === 'gpt2', rstrip: kind === 'gpt2' }));
    json = byteLevelTokenizerJson(kind, vocab, merges, extra);
  } else {
    throw new TokenizerFileError('E_TOKENIZER_MISSING', source, 'no tokenizer.json, and no vocab.json + merges.txt pair');
  }
  checkMergesInVocab(json, files.tokenizerJson !== undefined ? at('tokenizer.json') : at('merges.txt'), files.mergesTxt);
  return kind === 'roberta' ? new RobertaTokenizer(json, source, specials) : new Gpt2Tokenizer(json, source, specials);
}

/**
 * Every merge must name two symbols of the vocabulary and make one (as Hugging Face `tokenizers` requires: its
 * MergeTokenOutOfVocabulary): a merge outside it would make ids the model has no row for, or none at all.
 * `mergesTxt`, when the merges came from it, gives the error its line number.
 */
function checkMergesInVocab(json: TokenizerJson, path: string, mergesTxt: string | undefined): void {
  const vocab = json.model.vocab;
  json.model.merges.forEach((merge, rank) => {
    const [a, b] = typeof merge === 'string' ? (merge.split(' ') as [string, string]) : merge;
    const missing = [a, b, a + b].find((symbol) => !Object.hasOwn(vocab, symbol));
    if (missing === undefined) return;
    const line = mergesTxt === undefined ? undefined : lineOfMerge(mergesTxt, `${a} ${b}`);
    const what = line === undefined ? `merge ${rank} (${JSON.stringify(`${a} ${b}`)})` : `merge ${JSON.stringify(`${a} ${b}`)}`;
    throw new TokenizerFileError('E_TOKENIZER_FILE', path, `${what} names ${JSON.stringify(missing)}, which is not in the vocabulary`, line);
  });
}

function lineOfMerge(text: string, merge: string): number | undefined {
  const index = text.split('\n').findIndex((l) => l.replace(/\r$/, '') === merge);
  return index < 0 ? undefined : index + 1;
}

/** Loads the tokenizer of the checkpoint directory `dir` (tokenizer.json, or vocab.json + merges.txt). */
export async function loadTokenizer(dir: string): Promise<CheckpointTokenizer> {
  return tokenizerFromFiles(await readTokenizerFiles(dir), dir);
}

function expectKind<K extends TokenizerKind>(tokenizer: CheckpointTokenizer, kind: K): Extract<CheckpointTokenizer, { kind: K }> {
  if (tokenizer.kind !== kind) {
    throw new TokenizerFileError('E_TOKENIZER_FILE', tokenizer.source, `holds a ${tokenizer.kind} tokenizer, expected ${kind}`);
  }
  return tokenizer as Extract<CheckpointTokenizer, { kind: K }>;
}

/** `loadTokenizer`, requiring a GPT-2 tokenizer. */
export async function loadGpt2Tokenizer(dir: string): Promise<Gpt2Tokenizer> {
  return expectKind(await loadTokenizer(dir), 'gpt2');
}

/** `loadTokenizer`, requiring a RoBERTa tokenizer. */
export async function loadRobertaTokenizer(dir: string): Promise<RobertaTokenizer> {
  return expectKind(await loadTokenizer(dir), 'roberta');
}
