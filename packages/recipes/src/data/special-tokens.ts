/**
 * The NLG special tokens of the reference (spec §7.1), in the order `add_special_tokens` assigns their ids:
 * `<pad>` = 50257, `<bos_qa>` = 50258, …, `<target_webnlg>` = 50272 on GPT-2 (vocabulary 50,273).
 */
export const NLG_PAD_TOKEN = '<pad>';
export const NLG_ADDITIONAL_TOKENS = [
  '<bos_qa>', '<eos_qa>', '<question>', '<answer>', '<document>',
  '<bos_sm>', '<eos_sm>', '<source_sm>', '<target_sm>',
  '<bos_webnlg>', '<eos_webnlg>', '<subject>', '<property>', '<object>', '<target_webnlg>',
] as const;
/** All 16 added tokens, `<pad>` first: the order of their ids. */
export const NLG_SPECIAL_TOKENS = [NLG_PAD_TOKEN, ...NLG_ADDITIONAL_TOKENS] as const;

export const WEBNLG_TOKENS = {
  bos: '<bos_webnlg>', eos: '<eos_webnlg>', subject: '<subject>', property: '<property>', object: '<object>', target: '<target_webnlg>',
} as const;
export const QA_TOKENS = {
  bos: '<bos_qa>', eos: '<eos_qa>', question: '<question>', answer: '<answer>', document: '<document>',
} as const;

/** Tokens that end greedy decoding for a task (spec §8.1). */
export const STOP_TOKENS: Readonly<Record<'webnlg' | 'coqa', readonly string[]>> = {
  webnlg: Object.values(WEBNLG_TOKENS),
  coqa: Object.values(QA_TOKENS),
};

/** Label value ignored by the loss. */
export const IGNORE_INDEX = -100;
