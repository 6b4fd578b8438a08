import { WEBNLG_UNSEEN_CATEGORIES, corpusMeteor, corpusTer, evaluateCoqa, multiBleu, preprocessWebnlgHypothesis, preprocessWebnlgReference } from '@peft/eval-metrics';

/**
 * BLEU / METEOR / TER of hypotheses against their references, with the official WebNLG preprocessing (lower-case,
 * unidecode, punctuation split) on both sides: the numbers of spec §8.2 restricted to the entries decoded. Given each
 * entry's category, also on the seen and unseen categories (`BLEU (seen)` …), as the official evaluation splits them.
 */
export function scoreWebnlgSubset(hyps: readonly string[], refs: readonly (readonly string[])[], categories?: readonly string[]): Record<string, number> {
  const h = hyps.map(preprocessWebnlgHypothesis);
  const r = refs.map((rs) => rs.map(preprocessWebnlgReference));
  const score = (hs: string[], rs: string[][]): Record<string, number> => ({
    BLEU: multiBleu(hs, rs, { lowercase: true }).score,
    METEOR: corpusMeteor(hs, rs, { normalize: true }).score,
    TER: corpusTer(hs, rs, { lowercase: true }).score,
  });
  const out: Record<string, number> = { ...score(h, r), 'test entries': hyps.length };
  if (categories) {
    for (const split of ['seen', 'unseen'] as const) {
      const keep = categories.map((c) => WEBNLG_UNSEEN_CATEGORIES.includes(c) === (split === 'unseen'));
      const hs = h.filter((_, i) => keep[i]);
      if (!hs.length) continue;
      for (const [k, v] of Object.entries(score(hs, r.filter((_, i) => keep[i])))) out[`${k} (${split})`] = v;
      out[`test entries (${split})`] = hs.length;
    }
  }
  return out;
}

/** The official CoQA EM / F1 (overall, in percent) of predictions `[{id, turn_id, answer}]` against gold stories. */
export function scoreCoqaPredictions(gold: unknown, preds: readonly { id: string; turn_id: number; answer: string }[]): Record<string, number> {
  const { scores, missing } = evaluateCoqa(gold, preds);
  const overall = scores.overall!;
  return { EM: overall.em, F1: overall.f1, turns: overall.turns, 'missing predictions': missing.length };
}
