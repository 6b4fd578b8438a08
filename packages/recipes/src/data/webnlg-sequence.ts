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
  for (const t of triples) {
    for (const f of ['subject', 'property', 'object'] as const) {
      const seg = [marker[f], ...tok.encode(t[f])];
      inputIds.push(...seg);
      tokenTypeIds.push(...seg.map(() => marker[f]));
    }
  }
  const labels = inputIds.map(() => IGNORE_INDEX);
  const targetIds = typeof target === 'string' ? tok.encode(target) : target;
  const last = [tgt, ...targetIds, ...(withEos ? [eos] : [])];
  inputIds.push(...last);
  tokenTypeIds.push(...last.map(() => tgt));
  labels.push(IGNORE_INDEX, ...last.slice(1));
  return { inputIds, tokenTypeIds, labels };
}
