import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildCoqaSequence, buildGlueInput, coqaFromJson, DataFormatError, loadCoqa, loadMnli, loadSst2, MNLI_LABELS,
} from '../src/index.js';
import { c, charTokenizer, ID, robertaCharTokenizer } from './char-tokenizer.js';

const fx = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));

describe('CoQA (official format → spec §7.3)', () => {
  it('reads one turn per question, history q1 a1 … q_t, golds with additional_answers', () => {
    const turns = loadCoqa(fx('coqa-dev-v1.0.json'));
    expect(turns.length).toBe(4 + 3 + 2);
    const t3 = turns[2]!;
    expect(t3).toMatchObject({ storyId: 'story-a1', turnId: 3, answer: 'every Sunday', source: 'mctest' });
    expect(t3.history).toEqual(['What colour was the boat?', 'red', 'Where did she sail?', 'to the lighthouse', 'When?']);
    expect(t3.goldAnswers).toEqual(['every Sunday', 'Sundays', 'on Sunday', 'every Sunday']);
    expect(turns[7]!.goldAnswers).toEqual(['three apple trees', 'apple trees', 'three apple trees', 'trees']);
    // the train file has no additional_answers: one gold answer
    const train = coqaFromJson({ version: '1.0', data: [{ source: 'race', id: 'x', filename: 'f', story: 'ab', questions: [{ input_text: 'q?', turn_id: 1 }], answers: [{ span_start: 0, span_end: 1, span_text: 'a', input_text: 'a', turn_id: 1 }] }] }, 'train.json');
    expect(train[0]!.goldAnswers).toEqual(['a']);
  });

  it('builds the sequence: document cut, last 5 utterances, speakers from the end, labels on the reply', () => {
    const s = buildCoqaSequence(charTokenizer, 'abcdef', ['q1', 'a1', 'q2', 'a2', 'q3', 'a3', 'q4'], 'R', { maxDocumentTokens: 3 });
    // history keeps q2 a2 q3 a3 q4 (2·2+1 = 5)
    expect(s.inputIds).toEqual([
      ID.bos_qa, ID.document, ...c('abc'),
      ID.question, ...c('q2'), ID.answer, ...c('a2'), ID.question, ...c('q3'), ID.answer, ...c('a3'), ID.question, ...c('q4'),
      ID.answer, ...c('R'), ID.eos_qa,
    ]);
    const types = [
      ...Array(5).fill(ID.document),
      ...Array(3).fill(ID.question), ...Array(3).fill(ID.answer), ...Array(3).fill(ID.question), ...Array(3).fill(ID.answer),
      ...Array(3).fill(ID.question), ...Array(3).fill(ID.answer),
    ];
    expect(s.tokenTypeIds).toEqual(types);
    expect(s.labels).toEqual([...Array(s.inputIds.length - 2).fill(-100), ...c('R'), ID.eos_qa]);
  });

  it('the first turn (history of one question) keeps the same alternation', () => {
    const s = buildCoqaSequence(charTokenizer, 'd', ['q'], 'a');
    expect(s.inputIds).toEqual([ID.bos_qa, ID.document, ...c('d'), ID.question, ...c('q'), ID.answer, ...c('a'), ID.eos_qa]);
    expect(s.tokenTypeIds).toEqual([ID.document, ID.document, ID.document, ID.question, ID.question, ID.answer, ID.answer, ID.answer]);
  });

  it('the 400-token document limit is the default', () => {
    const s = buildCoqaSequence(charTokenizer, 'x'.repeat(450), ['q'], 'a');
    expect(s.inputIds.length).toBe(2 + 400 + 2 + 3);
  });

  it('malformed CoQA: a JSON syntax error names the line; a structural error names the story and field', () => {
    expect(() => loadCoqa(fx('coqa-malformed.json'))).toThrow(DataFormatError);
    try {
      loadCoqa(fx('coqa-malformed.json'));
    } catch (e) {
      expect((e as DataFormatError).line).toBe(8);
    }
    expect(() => loadCoqa(fx('webnlg-mini.json'))).toThrow(/'data' array/);
  });
});

describe('GLUE tsv (spec §7.4)', () => {
  it('SST-2: sentence and 0/1 label; a bad line is named', () => {
    const ex = loadSst2(fx('sst2-dev.tsv'));
    expect(ex.map((e) => e.label)).toEqual([1, 0, 1]);
    expect(ex[1]!.textA).toBe('unflinchingly bleak and desperate ');
    expect(() => loadSst2(fx('sst2-malformed.tsv'))).toThrow(/sst2-malformed\.tsv:3: label must be 0 or 1/);
  });

  it('MNLI: columns by name (dev with label1..5, train with label1), labels 0/1/2, "-" skipped', () => {
    const dev = loadMnli(fx('mnli-dev_matched.tsv'));
    expect(dev.map((e) => e.label)).toEqual([0, 2, 1, 2, 0]);
    expect(dev[0]).toMatchObject({ textA: 'The dog slept on the porch all afternoon.', textB: 'A dog was resting outside.', line: 2 });
    expect(MNLI_LABELS[dev[2]!.label]).toBe('neutral');
    expect(loadMnli(fx('mnli-train.tsv')).map((e) => e.label)).toEqual([0, 2, 1, 2, 0]);
    expect(() => loadMnli(fx('mnli-malformed.tsv'))).toThrow(/mnli-malformed\.tsv:4: has 9 tab-separated fields, the header has 16/);
  });

  it('RoBERTa inputs: <s> A </s></s> B </s>, longest-first truncation, padding with mask 0', () => {
    const pair = buildGlueInput(robertaCharTokenizer, { textA: 'ab', textB: 'c', label: 2, line: 2 }, { padTo: 10 });
    expect(pair.inputIds).toEqual([0, ...c('ab'), 2, 2, ...c('c'), 2, 1, 1, 1]);
    expect(pair.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    const cut = buildGlueInput(robertaCharTokenizer, { textA: 'abcdef', textB: 'xyz', label: 0, line: 2 }, { maxLength: 9 });
    expect(cut.inputIds).toEqual([0, ...c('abc'), 2, 2, ...c('xy'), 2]);
    const single = buildGlueInput(robertaCharTokenizer, { textA: 'abcdef', label: 1, line: 2 }, { maxLength: 5 });
    expect(single.inputIds).toEqual([0, ...c('abc'), 2]);
  });
});
