import { corpusMeteor, corpusTer, multiBleu, preprocessWebnlgHypothesis, preprocessWebnlgReference } from '@peft/eval-metrics';

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

/** CoQA-style EM / F1 (normalised: lower-case, no punctuation or articles) against all gold answers of each turn. */
export function scoreCoqaSubset(hyps: readonly string[], golds: readonly (readonly string[])[]): Record<string, number> {
  const norm = (s: string): string[] =>
    s.toLowerCase().replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '').replace(/\b(a|an|the)\b/g, ' ').split(/\s+/).filter(Boolean);
  const f1 = (p: string[], g: string[]): number => {
    const counts = new Map<string, number>();
    for (const w of g) counts.set(w, (counts.get(w) ?? 0) + 1);
    let same = 0;
    for (const w of p) if ((counts.get(w) ?? 0) > 0) { same++; counts.set(w, counts.get(w)! - 1); }
    if (!p.length || !g.length) return p.length === g.length ? 1 : 0;
    if (!same) return 0;
    const pr = same / p.length, rc = same / g.length;
    return (2 * pr * rc) / (pr + rc);
  };
  let em = 0, f = 0;
  hyps.forEach((h, i) => {
    const p = norm(h);
    em += Math.max(...golds[i]!.map((g) => (norm(g).join(' ') === p.join(' ') ? 1 : 0)));
    f += Math.max(...golds[i]!.map((g) => f1(p, norm(g))));
  });
  const n = Math.max(1, hyps.length);
  return { EM: (100 * em) / n, F1: (100 * f) / n, turns: hyps.length };
}
