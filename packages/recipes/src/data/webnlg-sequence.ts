import { IGNORE_INDEX, WEBNLG_TOKENS } from './special-tokens.js';
import { requireTokenId, type TextTokenizer } from './tokenizer.js';
import type { LmExample } from './lm-example.js';
import type { Triple } from './webnlg-examples.js';

/**
 * The WebNLG sequence of spec §7.2:
 * `[<bos_webnlg>] + Σ_triples([<subject>]+s + [<property>]+p + [<object>]+o) + [<target_webnlg>] + target + [<eos_webnlg>]`.
 * token types: `<bos_webnlg>` at 0, each triple segment its own marker on all its tokens, `<target_webnlg>` over the
 * target segment (EOS included). Labels: −100 except `target + [<eos_webnlg>]`. Each field is tokenised on its own,
 * without a leading space. For decoding, pass the ids generated so far as `target` and `withEos` false.
 */
export function buildWebnlgSequence(
  tok: TextTokenizer,
  triples: readonly Triple[],
  target: string | readonly number[],
  withEos = true,
): LmExample {
  const id = (t: string): number => requireTokenId(tok, t);
  const bos = id(WEBNLG_TOKENS.bos);
  const eos = id(WEBNLG_TOKENS.eos);
  const tgt = id(WEBNLG_TOKENS.target);
  const marker = { subject: id(WEBNLG_TOKENS.subject), property: id(WEBNLG_TOKENS.property), object: id(WEBNLG_TOKENS.object) };
  const inputIds = [bos];
  const tokenTypeIds = [bos];
  // loops, not push(...ids): a spread of a long text's ids overflows the call stack
  const append = (ids: readonly number[], type: number, label: (id: number) => number): void => {
    for (const x of ids) {
      inputIds.push(x);
      tokenTypeIds.push(type);
      labels.push(label(x));
    }
  };
  const labels = [IGNORE_INDEX];
  const ignored = () => IGNORE_INDEX;
  for (const t of triples) {
    for (const f of ['subject', 'property', 'object'] as const) {
      append([marker[f]], marker[f], ignored);
      append(tok.encode(t[f]), marker[f], ignored);
    }
  }
  append([tgt], tgt, ignored);
  append(typeof target === 'string' ? tok.encode(target) : target, tgt, (x) => x);
  if (withEos) append([eos], tgt, (x) => x);
  return { inputIds, tokenTypeIds, labels };
}
