import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MetricsInputError } from '../src/bleu/index.js';
import { evaluateCoqa, exactMatch, normalizeAnswer, tokenF1, turnScore } from '../src/coqa/index.js';
import { haveSharedData, SHARED_DATA } from '../../../test/shared-data.js';

const COQA = `${SHARED_DATA}/metric-check/coqa`;
const readJson = (name: string): unknown => JSON.parse(readFileSync(`${COQA}/${name}`, 'utf8'));

// the metric-check and WebNLG files of ../shared/data (PEFT_DATA): off CI a clone with nothing beside it skips these
describe.runIf(haveSharedData('metric-check/coqa'))('CoQA evaluate-v1.0.py: full outputs of the official script on the metric-check files', () => {
  let gold: unknown;
  beforeAll(() => {
    gold = readJson('gold-synthetic-coqa-v1.0.json');
  });

  it('pred1 (gold answers with perturbations): every domain, in/out domain and overall', () => {
    const { scores, missing } = evaluateCoqa(gold, readJson('pred1-gold-with-perturbations.json'));
    // printed by: python3 evaluate-v1.0.py --data-file gold-synthetic-coqa-v1.0.json --pred-file pred1-...json
    expect(scores).toEqual({
      children_stories: { em: 55.0, f1: 83.3, turns: 5 },
      literature: { em: 68.8, f1: 91.0, turns: 4 },
      'mid-high_school': { em: 55.0, f1: 88.6, turns: 5 },
      news: { em: 75.0, f1: 79.0, turns: 5 },
      wikipedia: { em: 60.0, f1: 69.7, turns: 5 },
      reddit: { em: 75.0, f1: 75.0, turns: 4 },
      science: { em: 60.0, f1: 73.3, turns: 5 },
      in_domain: { em: 62.5, f1: 82.0, turns: 24 },
      out_domain: { em: 66.7, f1: 74.1, turns: 9 },
      overall: { em: 63.6, f1: 79.8, turns: 33 },
    });
    expect(Object.keys(scores)).toEqual([
      'children_stories',
      'literature',
      'mid-high_school',
      'news',
      'wikipedia',
      'reddit',
      'science',
      'in_domain',
      'out_domain',
      'overall',
    ]);
    expect(missing).toEqual([]);
  });

  it('pred2 (string turn_ids and missing turns count 0, as in Python where ("x", "1") != ("x", 1))', () => {
    const { scores, missing } = evaluateCoqa(gold, readJson('pred2-partial-and-missing.json'));
    expect(scores).toEqual({
      children_stories: { em: 35.0, f1: 71.0, turns: 5 },
      literature: { em: 43.8, f1: 67.9, turns: 4 },
      'mid-high_school': { em: 15.0, f1: 53.4, turns: 5 },
      news: { em: 20.0, f1: 63.8, turns: 5 },
      wikipedia: { em: 20.0, f1: 60.0, turns: 5 },
      reddit: { em: 25.0, f1: 43.2, turns: 4 },
      science: { em: 20.0, f1: 46.7, turns: 5 },
      in_domain: { em: 26.0, f1: 63.0, turns: 24 },
      out_domain: { em: 22.2, f1: 45.1, turns: 9 },
      overall: { em: 25.0, f1: 58.1, turns: 33 },
    });
    // the script reported 10 "Missing prediction" lines on stderr
    expect(missing).toHaveLength(10);
    expect(missing).toContain('syn-mctest-1 1');
  });
});

describe('CoQA answer normalisation and per-turn scores (values from the official functions)', () => {
  it('lower, ASCII punctuation out, articles only at Unicode word boundaries, whitespace collapsed', () => {
    expect(normalizeAnswer('  The  Théa, an AN_apple (a) thé!  ')).toBe('théa anapple thé');
    expect(normalizeAnswer('A\u00a0cat\u2003—\tthe end')).toBe('cat — end');
  });

  it('token F1 and EM, including the no-answer rule', () => {
    expect(tokenF1('', 'x')).toBe(0);
    expect(tokenF1('the', 'a')).toBe(1); // both normalise to no tokens
    expect(tokenF1('a a b', 'a b b c')).toBe(0.5);
    expect(exactMatch('The Red.', 'red')).toBe(1);
  });

  it('leave-one-out averaging over several gold answers, plain max with one', () => {
    expect(turnScore(['red', 'Red.', 'the red one', 'a red boat'], 'The red one!')).toEqual({
      em: 0.75,
      f1: 0.9166666666666666,
    });
    expect(turnScore(['his sister Anna'], 'his sister')).toEqual({ em: 0, f1: 0.8 });
  });

  it('turn_id 1, 1.0 and true are one Python key; "1" is another', () => {
    const gold = {
      data: [
        {
          source: 'cnn',
          id: 's',
          questions: [{ turn_id: 1 }],
          answers: [{ input_text: 'yes', turn_id: 1 }],
          additional_answers: {},
        },
      ],
    };
    expect(evaluateCoqa(gold, [{ id: 's', turn_id: true, answer: 'yes' }]).scores.overall!.em).toBe(100);
    expect(evaluateCoqa(gold, [{ id: 's', turn_id: '1', answer: 'yes' }]).scores.overall!.em).toBe(0);
    expect(evaluateCoqa(gold, [{ id: 's', turn_id: '1', answer: 'yes' }]).missing).toEqual(['s 1']);
  });

  it('bad data raises MetricsInputError naming the file', () => {
    const gold = { data: [{ source: 'blogs', id: 's', questions: [{ turn_id: 1 }], answers: [{ input_text: 'a' }], additional_answers: {} }] };
    expect(() => evaluateCoqa(gold, [], { goldFile: 'g.json' })).toThrow(MetricsInputError);
    expect(() => evaluateCoqa(gold, [], { goldFile: 'g.json' })).toThrow(/unknown source "blogs"/);
    expect(() => evaluateCoqa({ data: [] }, { not: 'a list' }, { predFile: 'p.json' })).toThrow(
      expect.objectContaining({ code: 'INVALID_DATA', file: 'p.json' }),
    );
  });
});
