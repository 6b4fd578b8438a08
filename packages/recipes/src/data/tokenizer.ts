/**
 * The little of a tokenizer the data code needs. `encode` tokenises one string as it is: no leading space is added
 * and no special tokens are inserted (GPT-2's `convert_tokens_to_ids(tokenize(s))`, RoBERTa's BPE of the raw text).
 */
export interface TextTokenizer {
  encode(text: string): number[];
  /** The id of a (special) token; throws or returns undefined if it is unknown. */
  tokenToId(token: string): number | undefined;
}

/** `tokenToId` that fails with a message naming the token. */
export function requireTokenId(tok: TextTokenizer, token: string): number {
  const id = tok.tokenToId(token);
  if (id === undefined || id === null || !Number.isInteger(id) || id < 0) {
    throw new Error(`the tokenizer has no id for '${token}' (add the task's special tokens first)`);
  }
  return id;
}
