import { ByteLevelDecoder, Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { TokenizerInputError } from './errors.js';
import { cleanUpTokenizationSpaces, isPythonWhitespaceOnly } from './clean-up.js';
import { addedToken, type AddedTokenJson, type TokenizerJson, type TokenizerKind } from './tokenizer-json.js';

/** Options of `decode`; the defaults are those of HF `tokenizer.decode(ids)` in transformers 4.10. */
export interface DecodeOptions {
  /** Drop every special token (`<|endoftext|>`, `<s>`, `</s>`, `<pad>`, the KA task tokens…). Default false. */
  skipSpecialTokens?: boolean;
  /** Apply HF's `clean_up_tokenization` (" ." → ".", " n't" → "n't", …). Default true. */
  cleanUpTokenizationSpaces?: boolean;
  /**
   * Put a space around each token added after the base vocabulary (the KA task tokens), as the slow
   * `GPT2Tokenizer` does. Default: true for GPT-2 (KA uses the slow tokenizer), false for RoBERTa (fast tokenizer).
   */
  spacesBetweenSpecialTokens?: boolean;
}

/**
 * A GPT-2 / RoBERTa byte-level BPE tokenizer read from a checkpoint directory. Pre-tokenisation, BPE merges and byte
 * decoding are done by `@huggingface/tokenizers` (the JS port of HF `tokenizers`, fed a tokenizer.json); this class adds
 * what the authors' code relies on from transformers 4.10: special tokens added in order after the base vocabulary,
 * no special tokens or prefix space added by `encode`, and `decode` with HF's defaults.
 */
export class PeftTokenizer {
  readonly kind: TokenizerKind;
  /** Where the tokenizer was read from (a directory or file), for messages. */
  readonly source: string;
  #json: TokenizerJson;
  #hf: HfTokenizer;
  readonly #byteDecoder = new ByteLevelDecoder({ type: 'ByteLevel' });
  readonly #baseIds: ReadonlySet<number>;
  readonly #tokenOf = new Map<number, string>();
  readonly #idOf = new Map<string, number>();
  readonly #specialIds = new Set<number>();
  #vocabSize = 0;

  /**
   * @param json a byte-level BPE tokenizer.json (see `byteLevelTokenizerJson` to build one from vocab.json + merges.txt)
   * @param specialTokens names of further special tokens (special_tokens_map.json) that `skipSpecialTokens` drops
   */
  constructor(json: TokenizerJson, kind: TokenizerKind, source: string, specialTokens: readonly string[] = []) {
    this.kind = kind;
    this.source = source;
    this.#json = json;
    for (const [token, id] of Object.entries(json.model.vocab)) this.#register(token, id);
    this.#baseIds = new Set(this.#tokenOf.keys());
    for (const added of json.added_tokens) {
      this.#register(added.content, added.id);
      if (added.special) this.#specialIds.add(added.id);
    }
    for (const name of specialTokens) {
      const id = this.#idOf.get(name);
      if (id !== undefined) this.#specialIds.add(id);
    }
    this.#hf = this.#build();
  }

  #register(token: string, id: number): void {
    this.#tokenOf.set(id, token);
    this.#idOf.set(token, id);
    this.#vocabSize = Math.max(this.#vocabSize, id + 1);
  }

  #build(): HfTokenizer {
    return new HfTokenizer(this.#json, { clean_up_tokenization_spaces: false });
  }

  /** Rows the embedding needs: highest id + 1 (HF `len(tokenizer)`: 50257 for GPT-2, 50273 after the KA tokens). */
  get vocabSize(): number {
    return this.#vocabSize;
  }

  /** Ids of the special tokens (those `decode(ids, { skipSpecialTokens: true })` drops), ascending. */
  get specialIds(): readonly number[] {
    return [...this.#specialIds].sort((a, b) => a - b);
  }

  isSpecialId(id: number): boolean {
    return this.#specialIds.has(id);
  }

  /**
   * Token ids of `text`, with no special token and no prefix space added (HF `convert_tokens_to_ids(tokenize(text))`,
   * spec §7.1). Special tokens written in the text are matched as one token each.
   */
  encode(text: string): number[] {
    return this.#hf.encode(this.#prepare(text), { add_special_tokens: false }).ids;
  }

  /** The byte-level token strings of `text` (`Ġ` marks a leading space), as HF `tokenize(text)`. */
  tokenize(text: string): string[] {
    return this.#hf.tokenize(this.#prepare(text), { add_special_tokens: false });
  }

  #prepare(text: string): string {
    if (typeof text !== 'string') throw new TokenizerInputError('text', `expected a string, got ${typeof text}`);
    // The slow GPT2Tokenizer returns no token at all for a whitespace-only text (`if not text.strip(): return []`).
    return this.kind === 'gpt2' && isPythonWhitespaceOnly(text) ? '' : text;
  }

  /**
   * Text of `ids` as HF `tokenizer.decode(ids, skip_special_tokens=…)`: byte-level decoding of each run of base-vocabulary
   * tokens, added tokens kept as written (space-separated for GPT-2), then `clean_up_tokenization`.
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    const spaced = options.spacesBetweenSpecialTokens ?? this.kind === 'gpt2';
    const pieces: string[] = [];
    let run: string[] = [];
    ids.forEach((id, position) => {
      const token = this.#tokenOf.get(id);
      if (token === undefined) {
        throw new TokenizerInputError(`ids[${position}]`, `id ${id} is not in the vocabulary of ${this.source} (size ${this.vocabSize})`);
      }
      if (skip && this.#specialIds.has(id)) return;
      if (this.#baseIds.has(id)) {
        run.push(token);
        return;
      }
      if (run.length > 0) pieces.push(this.#byteDecoder.convert_tokens_to_string(run));
      run = [];
      pieces.push(token);
    });
    if (run.length > 0) pieces.push(this.#byteDecoder.convert_tokens_to_string(run));
    const text = pieces.join(spaced ? ' ' : '');
    return (options.cleanUpTokenizationSpaces ?? true) ? cleanUpTokenizationSpaces(text) : text;
  }

  tokenToId(token: string): number | undefined {
    return this.#idOf.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.#tokenOf.get(id);
  }

  /**
   * Adds special tokens as HF `add_special_tokens` does: each token not yet in the vocabulary gets the next id, in the
   * given order; a repeat or a token already known is skipped (and marked special). Returns how many were added.
   * On GPT-2 (slow tokenizer) an added token also strips the whitespace on both sides of it in text; on RoBERTa (fast
   * tokenizer) it does not.
   */
  addSpecialTokens(tokens: readonly string[]): number {
    const added: AddedTokenJson[] = [];
    for (const [position, token] of tokens.entries()) {
      if (typeof token !== 'string' || token === '') {
        throw new TokenizerInputError(`tokens[${position}]`, `expected a non-empty string, got ${JSON.stringify(token)}`);
      }
      const known = this.#idOf.get(token);
      if (known !== undefined) {
        this.#specialIds.add(known);
        continue;
      }
      const id = this.#vocabSize;
      const strip = this.kind === 'gpt2';
      added.push(addedToken(id, token, { lstrip: strip, rstrip: strip }));
      this.#register(token, id);
      this.#specialIds.add(id);
    }
    if (added.length > 0) {
      this.#json = { ...this.#json, added_tokens: [...this.#json.added_tokens, ...added] };
      this.#hf = this.#build();
    }
    return added.length;
  }

  /** The tokenizer.json this tokenizer runs on, added tokens included (what HF `save_pretrained` would write). */
  toTokenizerJson(): TokenizerJson {
    return structuredClone(this.#json);
  }
}
