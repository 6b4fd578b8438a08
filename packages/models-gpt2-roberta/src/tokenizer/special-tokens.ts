/**
 * Special tokens of the authors' code (KA `nlg/train.py` l.56-65, spec §7.1), in the order that
 * `add_special_tokens({'pad_token': '<pad>', 'additional_special_tokens': (...)})` assigns their ids on GPT-2:
 * `<pad>` = 50257 … `<target_webnlg>` = 50272 (the tuple's trailing duplicate `<pad>` is skipped).
 */
export const KA_SPECIAL_TOKENS = Object.freeze([
  '<pad>',
  '<bos_qa>',
  '<eos_qa>',
  '<question>',
  '<answer>',
  '<document>',
  '<bos_sm>',
  '<eos_sm>',
  '<source_sm>',
  '<target_sm>',
  '<bos_webnlg>',
  '<eos_webnlg>',
  '<subject>',
  '<property>',
  '<object>',
  '<target_webnlg>',
] as const);

export type KaSpecialToken = (typeof KA_SPECIAL_TOKENS)[number];

/** The WebNLG task tokens (spec §7.2); greedy decoding stops on any of them (spec §8.1). */
export const KA_WEBNLG_TOKENS = Object.freeze([
  '<bos_webnlg>',
  '<eos_webnlg>',
  '<subject>',
  '<property>',
  '<object>',
  '<target_webnlg>',
] as const satisfies readonly KaSpecialToken[]);

/** The CoQA task tokens (spec §7.3); greedy decoding stops on any of them (spec §8.1). */
export const KA_QA_TOKENS = Object.freeze([
  '<bos_qa>',
  '<eos_qa>',
  '<question>',
  '<answer>',
  '<document>',
] as const satisfies readonly KaSpecialToken[]);

/** GPT-2's only special token (bos = eos = unk). */
export const GPT2_END_OF_TEXT = '<|endoftext|>';

/** RoBERTa's special tokens, as named in its special_tokens_map.json. */
export const ROBERTA_SPECIALS = Object.freeze({
  bos: '<s>',
  pad: '<pad>',
  eos: '</s>',
  unk: '<unk>',
  mask: '<mask>',
} as const);
