import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scoreCoqa, scoreFiles, scoreWebnlg } from '../src/files.js';
import { corpusMeteor } from '../src/meteor/index.js';
import { haveSharedData, SHARED_DATA } from '../../../test/shared-data.js';

const SHARED = SHARED_DATA;
const CHECK = `${SHARED}/metric-check/webnlg`;
const COQA = `${SHARED}/metric-check/coqa`;
const scratch = mkdtempSync(join(tmpdir(), 'eval-metrics-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, content: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

const set = (name: string, files: string[]) => files.map((f) => `${CHECK}/${name}/${f}`);
const threeRefs = ['ref0.tok.lex', 'ref1.tok.lex', 'ref2.tok.lex'];

const haveData = haveSharedData('metric-check/webnlg', 'metric-check/coqa', 'webnlg/webnlg_challenge_2017/test/testdata_with_lex.xml');

// the metric-check and WebNLG files of ../shared/data (PEFT_DATA): off CI a clone with nothing beside it skips these
describe.runIf(haveData)('scoreFiles: parallel hypothesis / reference files', () => {
  it('bleu = multi-bleu.perl -lc ref0 ref1 ref2 < hyp (blank reference lines are empty references)', () => {
    const result = scoreFiles({
      metric: 'bleu',
      hyp: `${CHECK}/set1_perturbed_multiref/hyp.tok.txt`,
      refs: set('set1_perturbed_multiref', threeRefs),
      lowercase: true,
    });
    expect(result).toMatchObject({ metric: 'bleu', hyp_len: 904, ref_len: 974, segments: 50 });
    if (result.metric !== 'bleu') throw new Error('unreachable');
    expect(result.formatted).toBe('BLEU = 72.78, 100.0/82.2/72.0/64.6 (BP=0.925, ratio=0.928, hyp_len=904, ref_len=974)');
    expect(result.score).toBeCloseTo(72.78, 2);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('ter = tercom 0.7.25 -h hyp_ter -r refs-3ref.ter (a blank reference line means no reference)', () => {
    // "Total TER" printed by java -jar tercom.7.25.jar on the (idN) versions of the same files
    const expected: [string, string[], number, number, number][] = [
      ['set1_perturbed_multiref', threeRefs, 0.14159880339039388, 142, 1002.8333333333334],
      ['set2_other_reference_multiref', threeRefs, 0.2438100786484124, 279, 1144.3333333333337],
      ['set3_single_reference_mixed', ['ref0.tok.lex'], 0.28749085588880763, 393, 1367],
    ];
    for (const [name, refs, score, edits, refLength] of expected) {
      const result = scoreFiles({ metric: 'ter', hyp: `${CHECK}/${name}/hyp.tok.txt`, refs: set(name, refs) });
      expect(result.metric).toBe('ter');
      if (result.metric !== 'ter') continue;
      expect(result.edits).toBe(edits);
      expect(result.ref_length).toBeCloseTo(refLength, 9);
      expect(result.score).toBeCloseTo(score, 12);
    }
  });

  it('meteor reads the files into the METEOR 1.5 port (-norm), blank lines as empty references', () => {
    const name = 'set3_single_reference_mixed';
    const result = scoreFiles({ metric: 'meteor', hyp: `${CHECK}/${name}/hyp.tok.txt`, refs: set(name, ['ref0.tok.lex']) });
    const lines = (p: string) => readFileSync(p, 'utf8').split('\n').slice(0, -1);
    const direct = corpusMeteor(
      lines(`${CHECK}/${name}/hyp.tok.txt`),
      lines(`${CHECK}/${name}/ref0.tok.lex`).map((r) => [r]),
      { normalize: true },
    );
    expect(result).toMatchObject({ metric: 'meteor', segments: 50, score: direct.score, penalty: direct.penalty });
  });

  it('different line counts: typed error naming both files and their counts', () => {
    const hyp = scratchFile('hyp3.txt', 'a\nb\nc\n');
    const ref = scratchFile('ref2.txt', 'a\nb\n');
    expect(() => scoreFiles({ metric: 'bleu', hyp, refs: [ref] })).toThrow(
      expect.objectContaining({
        name: 'MetricsInputError',
        code: 'LINE_COUNT_MISMATCH',
        file: ref,
        message: `${hyp} has 3 lines but ${ref} has 2`,
      }),
    );
  });

  it('unreadable or non-UTF-8 files: typed errors naming the file', () => {
    const missing = join(scratch, 'nope.txt');
    expect(() => scoreFiles({ metric: 'bleu', hyp: missing, refs: [missing] })).toThrow(
      expect.objectContaining({ code: 'UNREADABLE_FILE', file: missing }),
    );
    const latin1 = scratchFile('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect(() => scoreFiles({ metric: 'bleu', hyp: latin1, refs: [latin1] })).toThrow(
      expect.objectContaining({ code: 'INVALID_UTF8', file: latin1 }),
    );
  });

  it('a last line without a line break still counts; \\r\\n files score like \\n files', () => {
    const hyp = scratchFile('h.txt', 'the cat sat on the mat\r\nit is here');
    const ref = scratchFile('r.txt', 'the cat is on the mat\nit is here\n');
    const crlf = scoreFiles({ metric: 'bleu', hyp, refs: [ref] });
    const lf = scoreFiles({ metric: 'bleu', hyp: scratchFile('h2.txt', 'the cat sat on the mat\nit is here\n'), refs: [ref] });
    expect(crlf).toEqual(lf);
    expect(crlf.segments).toBe(2);
  });
});

describe.runIf(haveData)('scoreWebnlg and scoreCoqa', () => {
  it('webnlg: BLEU per split as the official scorer (TER / METEOR skipped here)', () => {
    const result = scoreWebnlg({
      hyp: `${CHECK}/set5_dart_bart-large_output/hyp.raw.txt`,
      dataDir: `${SHARED}/webnlg/webnlg_challenge_2017`,
      metrics: { ter: null, meteor: null },
    });
    expect(result.all.segments).toBe(1862);
    expect(result.seen.segments).toBe(971);
    expect(result.unseen.segments).toBe(891);
    expect(result.all.bleu.hyp_len).toBe(40928);
    expect(result.all.bleu.ref_len).toBe(42017);
    expect(result.all.bleu.score.toFixed(2)).toBe('58.06');
    expect(result.seen.bleu.score.toFixed(2)).toBe('64.51');
    expect(result.unseen.bleu.score.toFixed(2)).toBe('50.20');
    expect(result.all.ter).toBeNull();
  });

  it('webnlg: a missing data folder names the XML path it looked for', () => {
    expect(() => scoreWebnlg({ hyp: `${CHECK}/set5_dart_bart-large_output/hyp.raw.txt`, dataDir: scratch })).toThrow(
      expect.objectContaining({ code: 'UNREADABLE_FILE', file: join(scratch, 'test', 'testdata_with_lex.xml') }),
    );
  });

  it('coqa: the official overall figures, and unreadable JSON names the file', () => {
    const result = scoreCoqa({
      dataFile: `${COQA}/gold-synthetic-coqa-v1.0.json`,
      predFile: `${COQA}/pred2-partial-and-missing.json`,
    });
    expect(result).toMatchObject({ em: 25.0, f1: 58.1, turns: 33, missing_predictions: 10 });
    expect(result.scores.in_domain).toEqual({ em: 26.0, f1: 63.0, turns: 24 });
    const broken = scratchFile('broken.json', '[{"id": 1,');
    expect(() => scoreCoqa({ dataFile: `${COQA}/gold-synthetic-coqa-v1.0.json`, predFile: broken })).toThrow(
      expect.objectContaining({ name: 'MetricsInputError', code: 'INVALID_JSON', file: broken }),
    );
  });
});
