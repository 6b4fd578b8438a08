import { requireTokenId, type TextTokenizer } from './tokenizer.js';
import type { GlueExample } from './glue.js';

/** A RoBERTa classification input (spec §7.4). */
export interface ClassifierExample {
  readonly inputIds: number[];
  /** 1 on real tokens, 0 on padding. */
  readonly attentionMask: number[];
  readonly label: number;
}

/** The reference pads every example to 512 (`pad_to_max_length`). */
export const GLUE_MAX_LENGTH = 512;

/**
 * `<s> A </s>` or `<s> A </s></s> B </s>`, truncated to `maxLength` by removing tokens one at a time from the end of the
 * longer text (longest-first), then, if `padTo` is given, padded with `<pad>` (attention mask 0) to that length.
 */
export function buildGlueInput(
  tok: TextTokenizer,
  ex: GlueExample,
  options: { maxLength?: number; padTo?: number } = {},
): ClassifierExample {
  const maxLength = options.maxLength ?? GLUE_MAX_LENGTH;
  const bos = requireTokenId(tok, '<s>');
  const eos = requireTokenId(tok, '</s>');
  const pad = requireTokenId(tok, '<pad>');
  let a = tok.encode(ex.textA);
  let b = ex.textB === undefined ? undefined : tok.encode(ex.textB);
  const specials = b === undefined ? 2 : 4;
  let excess = a.length + (b?.length ?? 0) + specials - maxLength;
  if (excess > 0) {
    if (b === undefined) a = a.slice(0, Math.max(0, a.length - excess));
    else {
      a = [...a];
      b = [...b];
      for (; excess > 0; excess--) {
        if (a.length > b.length) a.pop();
        else b.pop();
      }
    }
  }
  const inputIds = b === undefined ? [bos, ...a, eos] : [bos, ...a, eos, eos, ...b, eos];
  const attentionMask = inputIds.map(() => 1);
  if (options.padTo !== undefined) {
    while (inputIds.length < options.padTo) {
      inputIds.push(pad);
      attentionMask.push(0);
    }
  }
  return { inputIds, attentionMask, label: ex.label };
}
