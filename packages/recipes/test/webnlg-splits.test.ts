import { describe, expect, it } from 'vitest';
import { scoreWebnlgSubset } from '../src/cli/scores.js';

describe("peft train's WebNLG scores on seen / unseen / all categories (the report's S / U / A columns)", () => {
  it('each split scores exactly its own entries; all is every entry; a split with no entry is absent', () => {
    const hyps = ['the airport serves abilene', 'john is an athlete from texas', 'the city is in texas', 'mars is a planet'];
    const refs = [['abilene is served by the airport'], ['john is an athlete born in texas'], ['the city lies in texas'], ['mars is a planet of the sun']];
    const cats = ['Airport', 'Athlete', 'City', 'CelestialBody']; // Athlete and CelestialBody are unseen in training
    const s = scoreWebnlgSubset(hyps, refs, cats);
    const seen = scoreWebnlgSubset([hyps[0]!, hyps[2]!], [refs[0]!, refs[2]!]);
    const unseen = scoreWebnlgSubset([hyps[1]!, hyps[3]!], [refs[1]!, refs[3]!]);
    const all = scoreWebnlgSubset(hyps, refs);
    for (const m of ['BLEU', 'METEOR', 'TER']) {
      expect(s[`${m} (seen)`]).toBe(seen[m]);
      expect(s[`${m} (unseen)`]).toBe(unseen[m]);
      expect(s[m]).toBe(all[m]);
    }
    expect(s['BLEU (seen)']).not.toBe(s['BLEU (unseen)']);
    expect([s['test entries (seen)'], s['test entries (unseen)'], s['test entries']]).toEqual([2, 2, 4]);
    const onlySeen = scoreWebnlgSubset([hyps[0]!], [refs[0]!], ['Airport']);
    expect(Object.keys(onlySeen).filter((k) => k.includes('unseen'))).toEqual([]);
  });
});
