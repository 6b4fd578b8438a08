import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildWebnlgSequence, DataFileError, DataFormatError, groupEntries, loadWebnlgJson, loadWebnlgXml, loadWebnlgXmlDir,
  parseJsonText, webnlgFromXml,
} from '../src/index.js';
import { c, charTokenizer, ID } from './char-tokenizer.js';
import { haveSharedData, SHARED_DATA } from '../../../test/shared-data.js';

const fx = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const WEBNLG = `${SHARED_DATA}/webnlg/webnlg_challenge_2017`;

describe('WebNLG loading', () => {
  it('keeps only good lexicalisations, one example per (triple set, lex), raw strings', () => {
    const ex = loadWebnlgJson(fx('webnlg-mini.json'));
    expect(ex.map((e) => e.target)).toEqual(['Ab is in Cd.', 'Cd has Ab.', 'X & Y']);
    expect(ex.map((e) => e.entryIndex)).toEqual([0, 0, 1]);
    expect(ex[2]!.triples).toEqual([
      { subject: 'X', property: 'p', object: 'Y_1' },
      { subject: 'Y_1', property: 'q', object: '"2.0"' },
    ]);
    expect(groupEntries(ex).map((e) => e.references)).toEqual([['Ab is in Cd.', 'Cd has Ab.'], ['X & Y']]);
  });

  it('reads the challenge XML into the same examples as the JSON (entities decoded)', () => {
    expect(loadWebnlgXml(fx('webnlg-mini.xml'))).toEqual(loadWebnlgJson(fx('webnlg-mini.json')));
  });

  it.runIf(haveSharedData('webnlg/webnlg_challenge_2017/dev.json', 'webnlg/webnlg_challenge_2017/dev'))('real dev split: JSON and XML agree (2,258 good lexicalisations of 872 entries)', () => {
    const fromJson = loadWebnlgJson(`${WEBNLG}/dev.json`);
    const fromXml = loadWebnlgXmlDir(`${WEBNLG}/dev`);
    expect(fromJson.length).toBe(2258);
    expect(groupEntries(fromJson).length).toBe(871); // one of the 872 entries has no good lexicalisation
    expect(fromXml.map((e) => [e.target, e.triples])).toEqual(fromJson.map((e) => [e.target, e.triples]));
    expect(fromJson[0]).toMatchObject({ target: 'The leader of Aarhus is Jacob Bundsgaard.', triples: [{ subject: 'Aarhus', property: 'leaderName', object: 'Jacob_Bundsgaard' }] });
  });

  it('a missing file and malformed JSON/XML are typed errors naming the file and line', () => {
    expect(() => loadWebnlgJson('/nonexistent/train.json')).toThrow(DataFileError);
    expect(() => loadWebnlgJson('/nonexistent/train.json')).toThrow(/\/nonexistent\/train\.json: no such file/);
    try {
      parseJsonText('{\n  "entries": [\n    {"1": }\n  ]\n}', 'x.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataFormatError);
      expect((e as DataFormatError).line).toBe(3);
      expect((e as Error).message).toMatch(/^x\.json:3: malformed JSON/);
    }
    const xml = '<benchmark><entries>\n<entry category="A" eid="Id1" size="1">\n<modifiedtripleset>\n<mtriple>a | b</mtriple>\n</modifiedtripleset>\n</entry></entries></benchmark>';
    expect(() => webnlgFromXml(xml, 'y.xml')).toThrow(/^y\.xml:4: <mtriple> must be/);
    expect(() => webnlgFromXml('{}', 'z.xml')).toThrow(DataFormatError);
  });
});

describe('WebNLG sequence (spec §7.2)', () => {
  it('builds ids, token types and labels exactly', () => {
    const s = buildWebnlgSequence(charTokenizer, [{ subject: 'Ab', property: 'p', object: 'C' }], 'Hi');
    expect(s.inputIds).toEqual([
      ID.bos_webnlg, ID.subject, ...c('Ab'), ID.property, ...c('p'), ID.object, ...c('C'), ID.target_webnlg, ...c('Hi'), ID.eos_webnlg,
    ]);
    expect(s.tokenTypeIds).toEqual([
      ID.bos_webnlg, ID.subject, ID.subject, ID.subject, ID.property, ID.property, ID.object, ID.object,
      ID.target_webnlg, ID.target_webnlg, ID.target_webnlg, ID.target_webnlg,
    ]);
    expect(s.labels).toEqual([-100, -100, -100, -100, -100, -100, -100, -100, -100, ...c('Hi'), ID.eos_webnlg]);
  });

  it('tokenises each field on its own (no leading space is added) and builds decoding prompts without EOS', () => {
    const calls: string[] = [];
    const spy = { ...charTokenizer, encode: (s: string) => (calls.push(s), charTokenizer.encode(s)) };
    buildWebnlgSequence(spy, [{ subject: 'A_b', property: 'pq', object: '"1"' }, { subject: 'Z', property: 'y', object: 'x' }], 'T t.');
    expect(calls).toEqual(['A_b', 'pq', '"1"', 'Z', 'y', 'x', 'T t.']);
    const p = buildWebnlgSequence(charTokenizer, [{ subject: 'A', property: 'p', object: 'o' }], [1065], false);
    expect(p.inputIds.slice(-2)).toEqual([ID.target_webnlg, 1065]);
    expect(p.labels.slice(-2)).toEqual([-100, 1065]);
  });
});
