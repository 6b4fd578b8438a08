// Reading tokenizer files: the fixture generator, the vocab.json + merges.txt path, slow-format added_tokens.json,
// and the errors that name the file and line at fault.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  TokenizerFileError,
  loadTokenizer,
  parseMergesTxt,
  parseVocabJson,
  tokenizerFromFiles,
} from '../src/tokenizer/index.js';

const FIXTURES = fileURLToPath(new URL('../../../test-fixtures', import.meta.url));
const GPT2 = join(FIXTURES, 'tiny-gpt2');
const FILES = ['vocab.json', 'merges.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

interface FixtureScript {
  writeTokenizerFiles(dir: string, kind: 'gpt2' | 'roberta'): { files: string[]; vocabSize: number };
  FIXTURE_VOCAB_SIZE: { gpt2: number; roberta: number };
  FIXTURE_MERGE_COUNT: number;
}
const scriptPath = join(FIXTURES, 'scripts', 'tokenizer-files.mjs');
const loadScript = async (): Promise<FixtureScript> => (await import(/* @vite-ignore */ scriptPath)) as FixtureScript;

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peft-tok-files-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('fixture generator (test-fixtures/scripts/tokenizer-files.mjs)', () => {
  it('rewrites the committed fixture files byte for byte', async () => {
    const script = await loadScript();
    for (const [kind, folder] of [
      ['gpt2', 'tiny-gpt2'],
      ['roberta', 'tiny-roberta'],
    ] as const) {
      const dir = await mkdtemp(join(tmpdir(), `peft-fixture-${kind}-`));
      onTestFinished(() => rm(dir, { recursive: true, force: true }));
      const { files, vocabSize } = script.writeTokenizerFiles(dir, kind);
      expect(files.sort()).toEqual([...FILES].sort());
      expect(vocabSize).toBe(script.FIXTURE_VOCAB_SIZE[kind]);
      for (const f of FILES) expect(await readFile(join(dir, f), 'utf8')).toBe(await readFile(join(FIXTURES, folder, f), 'utf8'));
    }
  });

  it('exports the vocabulary sizes: 256 bytes + 400 merges + 1 (GPT-2) or + 5 specials (RoBERTa)', async () => {
    const script = await loadScript();
    expect(script.FIXTURE_MERGE_COUNT).toBe(400);
    expect(script.FIXTURE_VOCAB_SIZE).toEqual({ gpt2: 657, roberta: 661 });
    expect((await loadTokenizer(GPT2)).vocabSize).toBe(657);
    expect(parseMergesTxt(await readFile(join(GPT2, 'merges.txt'), 'utf8'), 'merges.txt')).toHaveLength(400);
    expect(Object.keys(parseVocabJson(await readFile(join(GPT2, 'vocab.json'), 'utf8'), 'vocab.json'))).toHaveLength(657);
  });
});

describe('merges.txt and vocab.json parsing', () => {
  it('skips the #version header and empty lines, accepts CRLF and a missing final newline', () => {
    expect(parseMergesTxt('#version: 0.2\nĠ t\r\nh e\n\ni n', 'm')).toEqual([
      ['Ġ', 't'],
      ['h', 'e'],
      ['i', 'n'],
    ]);
  });

  it('names the file and line of a malformed merge', () => {
    const bad = (): unknown => parseMergesTxt('#version: 0.2\nĠ t\nh e x\n', '/ckpt/merges.txt');
    expect(bad).toThrow(TokenizerFileError);
    expect(bad).toThrow('/ckpt/merges.txt:3');
    try {
      bad();
    } catch (error) {
      expect((error as TokenizerFileError).line).toBe(3);
      expect((error as TokenizerFileError).code).toBe('E_TOKENIZER_FILE');
    }
  });

  it('rejects a non-integer id, a reused id and a non-object vocab', () => {
    expect(() => parseVocabJson('{"a": 0, "b": 1.5}', 'v.json')).toThrow(/"b" has id 1.5/);
    expect(() => parseVocabJson('{"a": 0, "b": 0}', 'v.json')).toThrow(/id 0 is given to both "a" and "b"/);
    expect(() => parseVocabJson('[1, 2]', 'v.json')).toThrow(/expected a JSON object/);
    expect(() => parseVocabJson('{"a": ', 'v.json')).toThrow(/v.json: not valid JSON/);
  });
});

describe('loading a checkpoint directory', () => {
  it('reports a directory without tokenizer files', async () => {
    const dir = await dirWith({ 'vocab.json': '{}' });
    await expect(loadTokenizer(dir)).rejects.toThrow(TokenizerFileError);
    await expect(loadTokenizer(dir)).rejects.toMatchObject({ code: 'E_TOKENIZER_MISSING', path: dir });
  });

  it('rejects a tokenizer.json of another model type, naming the field', async () => {
    const json = JSON.parse(await readFile(join(GPT2, 'tokenizer.json'), 'utf8'));
    json.model.type = 'WordPiece';
    const dir = await dirWith({ 'tokenizer.json': JSON.stringify(json) });
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer.json: field 'model.type' is "WordPiece"/);
  });

  it('reads a slow-tokenizer checkpoint saved after adding tokens (added_tokens.json)', async () => {
    const dir = await dirWith({
      'vocab.json': await readFile(join(GPT2, 'vocab.json'), 'utf8'),
      'merges.txt': await readFile(join(GPT2, 'merges.txt'), 'utf8'),
      'added_tokens.json': JSON.stringify({ '<bos_qa>': 658, '<pad>': 657 }),
      'special_tokens_map.json': JSON.stringify({
        bos_token: '<|endoftext|>',
        pad_token: '<pad>',
        additional_special_tokens: ['<bos_qa>'],
      }),
    });
    const tok = await loadTokenizer(dir);
    expect(tok.kind).toBe('gpt2');
    expect(tok.vocabSize).toBe(659);
    expect(tok.specialIds).toEqual([656, 657, 658]);
    const reference = await loadTokenizer(GPT2);
    reference.addSpecialTokens(['<pad>', '<bos_qa>']);
    expect(tok.encode('x <bos_qa> y<pad>')).toEqual(reference.encode('x <bos_qa> y<pad>'));
    expect(tok.encode('x <bos_qa> y<pad>')).toEqual([...reference.encode('x'), 658, ...reference.encode('y'), 657]);
  });

  it('builds a tokenizer from file texts alone (no file system)', async () => {
    const tok = tokenizerFromFiles(
      {
        vocabJson: await readFile(join(FIXTURES, 'tiny-roberta', 'vocab.json'), 'utf8'),
        mergesTxt: await readFile(join(FIXTURES, 'tiny-roberta', 'merges.txt'), 'utf8'),
      },
      'in-memory',
    );
    const fromJson = await loadTokenizer(join(FIXTURES, 'tiny-roberta'));
    expect(tok.kind).toBe('roberta'); // told by <s> </s> <pad> in the vocabulary
    expect(tok.specialIds).toEqual(fromJson.specialIds);
    for (const text of ['a <mask> b', "Café it's 2014", '<s>x</s>']) expect(tok.encode(text)).toEqual(fromJson.encode(text));
  });
});
