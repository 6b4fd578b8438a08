import { TokenizerInputError } from './errors.js';
import { PeftTokenizer } from './peft-tokenizer.js';
import { ROBERTA_SPECIALS } from './special-tokens.js';
import type { TokenizerJson } from './tokenizer-json.js';
import { truncateLongestFirst } from './truncation.js';

/** A tokenised classification input: `input_ids` and `attention_mask` as HF returns them (1 = real token, 0 = pad). */
export interface ClassificationEncoding {
  inputIds: number[]; // [n]
  attentionMask: number[]; // [n]
}

/**
 * RoBERTa's tokenizer: GPT-2's byte-level BPE with fairseq's ids, plus the sentence-pair layout
 * `<s> A </s>` / `<s> A </s></s> B </s>` that the GLUE runs use (spec §7.4).
 */
export class RobertaTokenizer extends PeftTokenizer {
  declare readonly kind: 'roberta';
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;

  constructor(json: TokenizerJson, source: string, specialTokens: readonly string[] = []) {
    super(json, 'roberta', source, specialTokens);
    this.clsId = this.#required(ROBERTA_SPECIALS.bos);
    this.sepId = this.#required(ROBERTA_SPECIALS.eos);
    this.padId = this.#required(ROBERTA_SPECIALS.pad);
  }

  #required(token: string): number {
    const id = this.tokenToId(token);
    if (id === undefined) throw new TokenizerInputError('vocab', `${this.source} has no ${token} token, which RoBERTa needs`);
    return id;
  }

  /** `<s> A </s>`, or `<s> A </s></s> B </s>` with a second text; no truncation, no padding. */
  encodePair(a: string, b?: string | null): number[] {
    return this.#withSpecials(this.encode(a), b === undefined || b === null ? undefined : this.encode(b));
  }

  #withSpecials(first: readonly number[], second: readonly number[] | undefined): number[] {
    const single = [this.clsId, ...first, this.sepId];
    return second === undefined ? single : [...single, this.sepId, ...second, this.sepId];
  }

  /**
   * HF `tokenizer(a, b, truncation=True, max_length=maxLength, padding='max_length' | False)` on the fast RoBERTa
   * tokenizer: 'longest_first' truncation of the texts to `maxLength` less the 2 (single) or 4 (pair) special tokens,
   * then right-padding with `<pad>` (id 1) to `maxLength` when `padToMax`.
   */
  encodeForClassification(a: string, b?: string | null, maxLength = 512, padToMax = true): ClassificationEncoding {
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
      throw new TokenizerInputError('maxLength', `expected a positive integer, got ${maxLength}`);
    }
    const second = b === undefined || b === null ? undefined : this.encode(b);
    const specials = second === undefined ? 2 : 4;
    const [firstKept, secondKept] = truncateLongestFirst(this.encode(a), second, maxLength - specials);
    const inputIds = this.#withSpecials(firstKept, secondKept);
    const attentionMask = inputIds.map(() => 1);
    if (padToMax) {
      while (inputIds.length < maxLength) {
        inputIds.push(this.padId);
        attentionMask.push(0);
      }
    }
    return { inputIds, attentionMask };
  }

  /**
   * A batch of `encodeForClassification`, padded to `maxLength` when `padToMax`, else to the longest row of the batch
   * (HF `padding='longest'`), so that every row has the same length.
   */
  encodeBatchForClassification(
    examples: readonly (readonly [string, (string | null)?])[],
    maxLength = 512,
    padToMax = true,
  ): ClassificationEncoding[] {
    const rows = examples.map(([a, b]) => this.encodeForClassification(a, b, maxLength, padToMax));
    const width = Math.max(0, ...rows.map((r) => r.inputIds.length));
    for (const row of rows) {
      while (row.inputIds.length < width) {
        row.inputIds.push(this.padId);
        row.attentionMask.push(0);
      }
    }
    return rows;
  }
}
