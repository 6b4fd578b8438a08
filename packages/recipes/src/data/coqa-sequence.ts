import { IGNORE_INDEX, QA_TOKENS } from './special-tokens.js';
import { requireTokenId, type TextTokenizer } from './tokenizer.js';
import type { LmExample } from './lm-example.js';

/** The reference's limits (KA `MAXLEN_MAP['qa']`, `--max_history 2`). */
export const COQA_MAX_DOCUMENT_TOKENS = 400;
export const COQA_MAX_HISTORY = 2;

/**
 * The CoQA sequence of spec §7.3: `[<bos_qa>, <document>] + doc[:400]`, then the last 2·maxHistory+1 history
 * utterances and the reply, each prefixed with a speaker token counted from the end (reply `<answer>`, the one before it
 * `<question>`, alternating); the reply is `[<answer>] + answer + [<eos_qa>]`. Token types: `<document>` on the first
 * segment, then `<question>` on segments at even index (from the first history segment) and `<answer>` on odd ones.
 * Labels: −100 except `answer + [<eos_qa>]`. For decoding, pass the generated ids as `reply` and `withEos` false.
 */
export function buildCoqaSequence(
  tok: TextTokenizer,
  story: string | readonly number[],
  history: readonly (string | readonly number[])[],
  reply: string | readonly number[],
  options: { withEos?: boolean; maxHistory?: number; maxDocumentTokens?: number } = {},
): LmExample {
  const id = (t: string): number => requireTokenId(tok, t);
  const bos = id(QA_TOKENS.bos);
  const eos = id(QA_TOKENS.eos);
  const question = id(QA_TOKENS.question);
  const answer = id(QA_TOKENS.answer);
  const document = id(QA_TOKENS.document);
  const enc = (s: string | readonly number[]): number[] => (typeof s === 'string' ? tok.encode(s) : [...s]);
  const doc = enc(story).slice(0, options.maxDocumentTokens ?? COQA_MAX_DOCUMENT_TOKENS);
  const keep = 2 * (options.maxHistory ?? COQA_MAX_HISTORY) + 1;
  const hist = history.slice(-keep).map(enc);
  const segments = [...hist, [...enc(reply), ...(options.withEos === false ? [] : [eos])]];
  const first = [bos, document, ...doc];
  const inputIds = [...first];
  const tokenTypeIds = first.map(() => document);
  const n = segments.length;
  segments.forEach((seg, i) => {
    const speaker = (n - i) % 2 === 1 ? answer : question; // counted from the end: the reply (i = n−1) gets <answer>
    const type = i % 2 === 0 ? question : answer;
    inputIds.push(speaker);
    for (const x of seg) inputIds.push(x); // not push(...seg): a long turn's spread would overflow the call stack
    for (let k = 0; k <= seg.length; k++) tokenTypeIds.push(type);
  });
  const replySeg = segments[n - 1]!;
  const labels = inputIds.map(() => IGNORE_INDEX);
  for (let k = 0; k < replySeg.length; k++) labels[inputIds.length - replySeg.length + k] = replySeg[k]!;
  return { inputIds, tokenTypeIds, labels };
}
