import { corpusMeteor, corpusTer, evaluateCoqa, multiBleu, preprocessWebnlgHypothesis, preprocessWebnlgReference } from '@peft/eval-metrics';

/**
 * BLEU / METEOR / TER of hypotheses against their references, with the official WebNLG preprocessing (lower-case,
 * unidecode, punctuation split) on both sides: the numbers of spec §8.2 restricted to the entries decoded.
 */
export function scoreWebnlgSubset(hyps: readonly string[], refs: readonly (readonly string[])[]): Record<string, number> {
  const h = hyps.map(preprocessWebnlgHypothesis);
  const r = refs.map((rs) => rs.map(preprocessWebnlgReference));
  return {
    BLEU: multiBleu(h, r, { lowercase: true }).score,
    METEOR: corpusMeteor(h, r, { normalize: true }).score,
    TER: corpusTer(h, r, { lowercase: true }).score,
    'test entries': hyps.length,
  };
}

/** The official CoQA EM / F1 (overall, in percent) of predictions `[{id, turn_id, answer}]` against gold stories. */
export function scoreCoqaPredictions(gold: unknown, preds: readonly { id: string; turn_id: number; answer: string }[]): Record<string, number> {
  const { scores, missing } = evaluateCoqa(gold, preds);
  const overall = scores.overall!;
  return { EM: overall.em, F1: overall.f1, turns: overall.turns, 'missing predictions': missing.length };
}
