import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { CheckpointError, ConfigError } from '@peft/core';

/** Options of {@link LlamaTokenizer.encode}. */
export interface LlamaEncodeOptions {
  /**
   * Add what tokenizer.json's post-processor adds (Llama 3's `<|begin_of_text|>`, Llama 2's `<s>`; Qwen2 and SmolLM2
   * add nothing). Default true, as transformers' `tokenizer(text)`.
   */
  readonly addSpecialTokens?: boolean;
}

/** Options of {@link LlamaTokenizer.decode}. */
export interface LlamaDecodeOptions {
  /** Drop special tokens (bos, eos, chat markers). Default false, as transformers' `decode`. */
  readonly skipSpecialTokens?: boolean;
}

/** The parsed files a tokenizer is made from; `source` names the directory in messages. */
export interface LlamaTokenizerFiles {
  /** tokenizer.json (any model the tokenizers library reads: byte-level BPE, SentencePiece-style BPE, …). */
  readonly tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json, `{}` when absent. */
  readonly tokenizerConfig?: Record<string, unknown>;
  /** The model's config.json, for bos/eos ids the tokenizer files do not name. */
  readonly modelConfig?: Record<string, unknown>;
}

const tokenName = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string'
      ? (value as { content: string }).content
      : undefined;

/**
 * The tokenizer of a Llama-family checkpoint (Llama 3.x, Qwen2/2.5, SmolLM2, Mistral), run by `@huggingface/tokenizers`
 * (Hugging Face's JS port of `tokenizers`) on the checkpoint's tokenizer.json: plain encode and decode, no chat
 * template. bos/eos/pad come from tokenizer_config.json, else from config.json's ids.
 */
export class LlamaTokenizer {
  readonly source: string;
  #hf: HfTokenizer;
  #json: Record<string, unknown>;
  readonly #config: Record<string, unknown>;
  /** The model's embedding rows (config.json's vocab_size), where added tokens start when it exceeds the tokenizer's. */
  readonly #modelVocab: number;
  readonly #special = new Set<number>();
  readonly bosTokenId: number | null;
  /** The first eos id (config.json may list several: Llama 3.x instruct ends turns with `<|eot_id|>` too). */
  readonly eosTokenId: number | null;
  /** Every id that ends a generation: tokenizer_config's eos and config.json's eos_token_id list. */
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
  #vocabSize: number;

  constructor(files: LlamaTokenizerFiles, source: string) {
    this.source = source;
    const config = files.tokenizerConfig ?? {};
    const json = files.tokenizerJson;
    const model = json.model as { type?: unknown; vocab?: unknown } | undefined;
    if (!model || typeof model !== 'object') throw new CheckpointError('E_TOKENIZER_FILE', `${source}/tokenizer.json`, "field 'model' is missing or not an object");
    this.#json = json;
    this.#config = config;
    try {
      this.#hf = new HfTokenizer(json, config);
    } catch (e) {
      throw new CheckpointError('E_TOKENIZER_FILE', `${source}/tokenizer.json`, `the tokenizers library cannot read it (${(e as Error).message})`);
    }
    const vocab = this.#hf.get_vocab(true);
    let max = -1;
    for (const id of vocab.values()) max = Math.max(max, id);
    this.#vocabSize = max + 1;
    const added = Array.isArray(json.added_tokens) ? (json.added_tokens as { id?: unknown; special?: unknown }[]) : [];
    for (const t of added) if (t.special === true && typeof t.id === 'number') this.#special.add(t.id);
    const idOf = (field: string): number | null => {
      const name = tokenName(config[field]);
      if (name === undefined) return null;
      const id = this.#hf.token_to_id(name);
      if (id === undefined) throw new CheckpointError('E_TOKENIZER_FILE', `${source}/tokenizer_config.json`, `${field} ${JSON.stringify(name)} is not in tokenizer.json's vocabulary`);
      this.#special.add(id);
      return id;
    };
    const modelConfig = files.modelConfig ?? {};
    const configIds = (field: string): number[] => {
      const v = modelConfig[field];
      const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
      return list.filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0);
    };
    this.bosTokenId = idOf('bos_token') ?? configIds('bos_token_id')[0] ?? null;
    const eos = idOf('eos_token');
    this.eosTokenIds = [...new Set([...(eos === null ? [] : [eos]), ...configIds('eos_token_id')])];
    this.eosTokenId = this.eosTokenIds[0] ?? null;
    this.padTokenId = idOf('pad_token') ?? configIds('pad_token_id')[0] ?? null;
    const rows = modelConfig.vocab_size;
    this.#modelVocab = typeof rows === 'number' && Number.isInteger(rows) && rows > 0 ? rows : 0;
  }

  /**
   * Adds special tokens (transformers' `add_special_tokens`): each token not yet known gets the next id, in the given
   * order; a repeat or a known token is skipped (and marked special). The first new id is the larger of the tokenizer's
   * size and config.json's vocab_size, so that the ids match the rows a model's `addSpecialTokens` appends (Qwen2's
   * embedding has more rows than its tokenizer has tokens). Returns how many were added.
   */
  addSpecialTokens(tokens: readonly string[]): number {
    const added: Record<string, unknown>[] = [];
    let next = Math.max(this.#vocabSize, this.#modelVocab);
    for (const [i, token] of tokens.entries()) {
      if (typeof token !== 'string' || token === '') throw new ConfigError(`tokens[${i}]`, `expected a non-empty string, got ${JSON.stringify(token)}`);
      const known = this.#hf.token_to_id(token) ?? added.find((a) => a.content === token)?.id;
      if (known !== undefined) {
        this.#special.add(known as number);
        continue;
      }
      added.push({ id: next++, content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    }
    if (added.length === 0) return 0;
    const previous = Array.isArray(this.#json.added_tokens) ? this.#json.added_tokens : [];
    this.#json = { ...this.#json, added_tokens: [...previous, ...added] };
    this.#hf = new HfTokenizer(this.#json, this.#config);
    for (const a of added) this.#special.add(a.id as number);
    this.#vocabSize = next;
    return added.length;
  }

  /** Rows the embedding needs for this tokenizer: the highest id + 1 (config.json's vocab_size may be larger). */
  get vocabSize(): number {
    return this.#vocabSize;
  }

  /** Ids that `decode(ids, { skipSpecialTokens: true })` drops, ascending. */
  get specialIds(): readonly number[] {
    return [...this.#special].sort((a, b) => a - b);
  }

  /** Token ids of `text` (transformers' `tokenizer(text).input_ids`; `addSpecialTokens: false` for the bare pieces). */
  encode(text: string, options: LlamaEncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new ConfigError('text', `expected a string, got ${typeof text}`);
    return this.#hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** The token strings of `text`, without added special tokens. */
  tokenize(text: string): string[] {
    return this.#hf.tokenize(text, { add_special_tokens: false });
  }

  /** Text of `ids` (transformers' `decode`, without clean-up of tokenization spaces, as Llama-family tokenizers set). */
  decode(ids: readonly number[], options: LlamaDecodeOptions = {}): string {
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.#vocabSize || this.#hf.id_to_token(id) === undefined) {
        throw new ConfigError(`ids[${i}]`, `id ${id} is not in the vocabulary of ${this.source} (size ${this.#vocabSize})`);
      }
    });
    if (ids.length === 0) return ''; // (the library refuses an empty list)
    return this.#hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }

  tokenToId(token: string): number | undefined {
    return this.#hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.#hf.id_to_token(id);
  }
}

/** Loads tokenizer.json (required), tokenizer_config.json and config.json (when present) of the checkpoint `dir`. */
export async function loadLlamaTokenizer(dir: string): Promise<LlamaTokenizer> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const read = async (name: string, required: boolean): Promise<Record<string, unknown> | undefined> => {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (required) throw new CheckpointError('E_TOKENIZER_MISSING', path, 'no tokenizer.json here: Llama-family tokenizers are read from tokenizer.json');
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new CheckpointError('E_TOKENIZER_FILE', path, `not valid JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CheckpointError('E_TOKENIZER_FILE', path, 'expected a JSON object');
    return value as Record<string, unknown>;
  };
  const tokenizerJson = (await read('tokenizer.json', true))!;
  const tokenizerConfig = await read('tokenizer_config.json', false);
  const modelConfig = await read('config.json', false);
  return new LlamaTokenizer({ tokenizerJson, ...(tokenizerConfig ? { tokenizerConfig } : {}), ...(modelConfig ? { modelConfig } : {}) }, dir);
}
