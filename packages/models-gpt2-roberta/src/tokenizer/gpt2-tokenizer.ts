import { PeftTokenizer } from './peft-tokenizer.js';
import type { TokenizerJson } from './tokenizer-json.js';

/** GPT-2's tokenizer (the slow `GPT2Tokenizer` behaviour of transformers 4.10, which the authors' NLG code uses). */
export class Gpt2Tokenizer extends PeftTokenizer {
  declare readonly kind: 'gpt2';

  constructor(json: TokenizerJson, source: string, specialTokens: readonly string[] = []) {
    super(json, 'gpt2', source, specialTokens);
  }
}
