import { GPT2_END_OF_TEXT, ROBERTA_SPECIALS } from './special-tokens.js';

/** Which checkpoint family a tokenizer belongs to; it decides the special-token layout and HF's slow/fast quirks. */
export type TokenizerKind = 'gpt2' | 'roberta';

/** One entry of tokenizer.json `added_tokens` (Hugging Face `tokenizers` serialisation). */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A byte-level BPE merge: the two symbols it joins. */
export type Merge = readonly [string, string];

/** The part of a Hugging Face tokenizer.json that a byte-level BPE tokenizer needs. */
export interface TokenizerJson {
  version?: string;
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: {
    type: 'BPE';
    vocab: Record<string, number>;
    merges: string[] | Merge[];
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** An added token in the form tokenizer.json stores it; specials default to no whitespace stripping. */
export function addedToken(id: number, content: string, options: Partial<AddedTokenJson> = {}): AddedTokenJson {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
    ...options,
  };
}

/** The special tokens that the HF `gpt2` / `roberta-base` tokenizer.json lists as added tokens, where `vocab` has them. */
function builtInAddedTokens(kind: TokenizerKind, vocab: Record<string, number>): AddedTokenJson[] {
  const present = (token: string): boolean => Object.hasOwn(vocab, token);
  if (kind === 'gpt2') {
    return present(GPT2_END_OF_TEXT) ? [addedToken(vocab[GPT2_END_OF_TEXT]!, GPT2_END_OF_TEXT, { normalized: true })] : [];
  }
  const { bos, pad, eos, unk, mask } = ROBERTA_SPECIALS;
  const plain = [bos, pad, eos, unk].filter(present).map((t) => addedToken(vocab[t]!, t, { normalized: true }));
  // roberta-base: `<mask>` eats the whitespace on its left ("a <mask>" → 'a', '<mask>').
  const masks = present(mask) ? [addedToken(vocab[mask]!, mask, { lstrip: true })] : [];
  return [...plain, ...masks];
}

/**
 * The tokenizer.json that Hugging Face `tokenizers` writes for a GPT-2 or RoBERTa vocab.json + merges.txt:
 * ByteLevel pre-tokenizer without prefix space (GPT-2's regex), BPE without unk token or dropout, ByteLevel decoder,
 * and a ByteLevel (GPT-2) or RobertaProcessing (`<s> A </s></s> B </s>`) post-processor.
 */
export function byteLevelTokenizerJson(
  kind: TokenizerKind,
  vocab: Record<string, number>,
  merges: readonly Merge[],
  extraAddedTokens: readonly AddedTokenJson[] = [],
): TokenizerJson {
  const postProcessor =
    kind === 'roberta'
      ? {
          type: 'RobertaProcessing',
          sep: [ROBERTA_SPECIALS.eos, vocab[ROBERTA_SPECIALS.eos] ?? 2],
          cls: [ROBERTA_SPECIALS.bos, vocab[ROBERTA_SPECIALS.bos] ?? 0],
          trim_offsets: true,
          add_prefix_space: false,
        }
      : { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...builtInAddedTokens(kind, vocab), ...extraAddedTokens],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([a, b]) => [a, b] as const),
    },
  };
}
