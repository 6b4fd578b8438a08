// Hostile input files (issue 24): each generated here from the tiny fixtures, never committed. Every case asserts the
// exit code or the typed error class, a message naming the file and the field / tensor / line, no stack for the
// user's errors, and that nothing was written or changed. The command line (the built dist/cli.js) for a
// representative subset, the API for the rest.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  MissingTensorError,
  NonFiniteTensorError,
  PeftError,
  entryToTypedArray,
  parseSafetensors,
  serializeSafetensors,
  typedArrayToEntry,
  type SafetensorsEntry,
} from '@peft/core';
import {
  MissingCheckpointFileError,
  TokenizerFileError,
  UnusedLayerTensorsError,
  loadGpt2,
  loadRoberta,
  loadTokenizer,
} from '@peft/models-gpt2-roberta';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, DataFormatError, MAX_RECORD_CHARS, NLG_ADAMW, readCheckpoint, webnlgFromJson, webnlgFromXml, writeCheckpoint } from '../src/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../..');
const cli = join(here, '../dist/cli.js');
const tinyGpt2 = join(repo, 'test-fixtures/tiny-gpt2');
const tinyRoberta = join(repo, 'test-fixtures/tiny-roberta');
const work = mkdtempSync(join(tmpdir(), 'peft-hostile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function peft(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, PEFT_BACKEND: 'cpu' }, cwd: work });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The report of a user's error: one `peft: error:` message, no stack, not called internal. */
function expectUserError(r: { stderr: string }, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^peft: error: /m);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

/** A copy of a fixture folder; `edit` changes it. */
function variant(name: string, from: string, edit: (dir: string) => void = () => {}): string {
  const dir = join(work, name);
  cpSync(from, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** Rewrites a safetensors file through `edit` of its tensors. */
function editSafetensors(file: string, edit: (t: Map<string, SafetensorsEntry>) => void): void {
  const parsed = parseSafetensors(new Uint8Array(readFileSync(file)), file);
  const tensors = new Map(parsed.tensors);
  edit(tensors);
  writeFileSync(file, serializeSafetensors(tensors));
}

/** Sets value `index` of float tensor `name` to `value`. */
function poison(t: Map<string, SafetensorsEntry>, name: string, index: number, value: number): void {
  const e = t.get(name);
  if (!e) throw new Error(`no tensor ${name} in the fixture (have ${[...t.keys()].join(', ')})`);
  const values = entryToTypedArray(e) as Float32Array;
  values[index] = value;
  t.set(name, typedArrayToEntry(values, e.shape, 'F32'));
}

function editJson(file: string, edit: (j: Record<string, unknown>) => void): void {
  const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(file, JSON.stringify(j));
}

/** A WebNLG data root (train/dev/test JSON) with `entries` in each split. */
function webnlgData(name: string, entries: unknown[], train: unknown[] = entries): string {
  const root = join(work, name);
  const dir = join(root, 'webnlg', 'webnlg_challenge_2017');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.json'), JSON.stringify({ entries: train }));
  writeFileSync(join(dir, 'dev.json'), JSON.stringify({ entries }));
  writeFileSync(join(dir, 'test.json'), JSON.stringify({ entries }));
  return root;
}

function webnlgEntry(i: number, lex: string): unknown {
  return {
    [String(i + 1)]: {
      lexicalisations: [{ comment: 'good', lex }],
      modifiedtripleset: [{ subject: `Alan_Bean_${i}`, property: 'birthPlace', object: 'Wheeler,_Texas' }],
      category: 'Astronaut',
    },
  };
}

const goodEntries = Array.from({ length: 6 }, (_, i) => webnlgEntry(i, `Alan Bean ${i} was born in Wheeler, Texas.`));

/** The files of a folder with their bytes, to show that a refused command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
}

describe('hostile files on the command line: a typed error naming the file, a non-zero exit, nothing written', () => {
  const data = () => webnlgData('good-data', goodEntries);
  const train = (name: string, model: string, dataRoot: string, ...extra: string[]) =>
    peft('train', 'webnlg', '--model', model, '--data', dataRoot, '--out', join(work, name), '--max-steps', '2', '--batch-size', '2', ...extra);

  it('is built', () => {
    expect(existsSync(cli), 'build @peft/recipes first (npm run build)').toBe(true);
  });

  it('weights: NaN in model.safetensors is refused before training (it trained with loss null, exit 0)', () => {
    const model = variant('nan-model', tinyGpt2, (d) => editSafetensors(join(d, 'model.safetensors'), (t) => poison(t, 'h.0.attn.c_attn.weight', 3, NaN)));
    const r = train('run-nan-model', model, data());
    expect(r.code).toBe(1);
    expectUserError(r, /nan-model\/model\.safetensors: tensor 'h\.0\.attn\.c_attn\.weight' holds NaN at flat index 3; every value must be finite/);
    expect(existsSync(join(work, 'run-nan-model'))).toBe(false);
  });

  it('config: n_layer 1 over 2-layer weights is refused (it trained half the model)', () => {
    const model = variant('n-layer-1', tinyGpt2, (d) => editJson(join(d, 'config.json'), (j) => (j.n_layer = 1)));
    const r = train('run-n-layer-1', model, data());
    expect(r.code).toBe(1);
    expectUserError(r, /n-layer-1\/model\.safetensors: holds weights of 2 layers \(h\.1\..* unused\), but .*n-layer-1\/config\.json: n_layer is 1: the two must agree/);
    expect(existsSync(join(work, 'run-n-layer-1'))).toBe(false);
  });

  it('config: n_layer 10⁹ fails at once on its limit (it failed after 86 s with a RangeError)', () => {
    const model = variant('n-layer-huge', tinyGpt2, (d) => editJson(join(d, 'config.json'), (j) => (j.n_layer = 1e9)));
    const r = train('run-n-layer-huge', model, data());
    expect(r.code).toBe(1);
    expectUserError(r, /n-layer-huge\/config\.json: n_layer: is 1000000000, above the limit of 1024/);
    expect(existsSync(join(work, 'run-n-layer-huge'))).toBe(false);
  });

  it('tokenizer: a GPT-2 tokenizer beside RoBERTa weights is a typed error naming the folder (it was a stack)', () => {
    const model = variant('roberta-gpt2-tok', tinyRoberta, (d) => {
      for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json']) cpSync(join(tinyGpt2, f), join(d, f));
    });
    const sst = join(work, 'sst-data', 'sst2', 'SST-2');
    mkdirSync(sst, { recursive: true });
    writeFileSync(join(sst, 'train.tsv'), 'sentence\tlabel\ngood movie \t1\nbad movie \t0\n');
    writeFileSync(join(sst, 'dev.tsv'), 'sentence\tlabel\nfine \t1\n');
    const r = peft('train', 'sst2', '--model', model, '--data', join(work, 'sst-data'), '--out', join(work, 'run-mixed-tok'), '--max-steps', '1');
    expect(r.code).toBe(1);
    expectUserError(r, /roberta-gpt2-tok: holds a gpt2 tokenizer, expected roberta/);
    expect(existsSync(join(work, 'run-mixed-tok'))).toBe(false);
  });

  it('data: a 1 MB lexicalisation is refused naming the file and the record (it overflowed the call stack)', () => {
    const root = webnlgData('huge-lex', goodEntries, [webnlgEntry(0, 'word '.repeat(200_000)), ...goodEntries.slice(1)]);
    const r = train('run-huge-lex', tinyGpt2, root);
    expect(r.code).toBe(1);
    expectUserError(r, new RegExp(`huge-lex/webnlg/webnlg_challenge_2017/train\\.json: entries\\[0\\]\\["1"\\]\\.lexicalisations\\[0\\]\\.lex is 1000000 characters, above the limit of ${MAX_RECORD_CHARS}`));
    expect(existsSync(join(work, 'run-huge-lex'))).toBe(false);
  });

  it('data: an empty training file, and one whose every example is too long, name the file', () => {
    const empty = train('run-empty', tinyGpt2, webnlgData('empty-train', goodEntries, []));
    expect(empty.code).toBe(1);
    expectUserError(empty, /empty-train\/webnlg\/webnlg_challenge_2017\/train\.json: holds no webnlg training example/);
    expect(existsSync(join(work, 'run-empty'))).toBe(false);
    const long = train('run-too-long', tinyGpt2, data(), '--max-length', '8');
    expect(long.code).toBe(1);
    expectUserError(long, /good-data\/webnlg\/webnlg_challenge_2017\/train\.json: no webnlg training example fits in 8 tokens \(6 longer ones skipped; raise --max-length\)/);
    expect(existsSync(join(work, 'run-too-long'))).toBe(false);
  });

  describe('a saved adapter, then broken copies of it with peft generate', () => {
    let adapter = '';
    beforeAll(() => {
      const r = train('adapter-run', tinyGpt2, data(), '--test-entries', '0');
      expect(r.code, r.stderr).toBe(0);
      adapter = join(work, 'adapter-run', 'adapter');
    }, 120_000);
    const generate = (dir: string, triples = 'Alan_Bean | birthPlace | Wheeler,_Texas') => peft('generate', '--model', tinyGpt2, '--adapter', dir, '--triples', triples);

    it('the adapter as saved generates a line (the cases below differ by one fault each)', () => {
      const r = generate(adapter);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    });

    it('adapter: NaN in adapter_model.safetensors is refused, nothing printed, the files unchanged', () => {
      const dir = variant('nan-adapter', adapter, (d) => editSafetensors(join(d, 'adapter_model.safetensors'), (t) => poison(t, [...t.keys()].sort()[0]!, 0, NaN)));
      const before = snapshot(dir);
      const r = generate(dir);
      expect(r.code).toBe(1);
      expectUserError(r, /nan-adapter\/adapter_model\.safetensors: tensor '.+' holds NaN at flat index 0/);
      expect(r.stdout).toBe('');
      expect(snapshot(dir)).toEqual(before);
    });

    it('adapter: -Infinity in task_embeddings.safetensors is refused', () => {
      const dir = variant('inf-task-rows', adapter, (d) => editSafetensors(join(d, 'task_embeddings.safetensors'), (t) => poison(t, [...t.keys()][0]!, 5, -Infinity)));
      const r = generate(dir);
      expect(r.code).toBe(1);
      expectUserError(r, /inf-task-rows\/task_embeddings\.safetensors: tensor 'wte\.added_rows' holds -Infinity at flat index 5/);
      expect(r.stdout).toBe('');
    });

    it('adapter: a missing task_embeddings.safetensors is refused (it decoded with random rows)', () => {
      const dir = variant('no-task-rows', adapter, (d) => unlinkSync(join(d, 'task_embeddings.safetensors')));
      const r = generate(dir);
      expect(r.code).toBe(1);
      expectUserError(r, /no-task-rows\/task_embeddings\.safetensors: is missing: it holds the trained rows of the adapter's task tokens \(wte\.added_rows\)/);
      expect(r.stdout).toBe('');
    });

    it('adapter: a tensor the config implies, missing from the weights, is refused naming it', () => {
      const dir = variant('missing-adapter-tensor', adapter, (d) => editSafetensors(join(d, 'adapter_model.safetensors'), (t) => t.delete([...t.keys()].sort()[0]!)));
      const r = generate(dir);
      expect(r.code).toBe(1);
      expectUserError(r, /missing-adapter-tensor\/adapter_model\.safetensors: tensor '.+' is missing/);
    });

    it('prompt: one over the context length is an input error, exit 2 (it printed an empty line, exit 0)', () => {
      const r = generate(adapter, `Alan_Bean | birthPlace | ${'Wheeler '.repeat(150)}`);
      expect(r.code).toBe(2);
      expectUserError(r, /--triples: the prompt is \d+ tokens, and the model reads at most 128 \(n_positions 128 of .*tiny-gpt2\/config\.json\): no position is left to generate at/);
      expect(r.stdout).toBe('');
    });
  });
});

describe('hostile model and tokenizer files through the API: the typed error, the file and the field named', () => {
  it('weights: +Infinity in a layer norm is a NonFiniteTensorError naming the file and the tensor', async () => {
    const dir = variant('inf-model', tinyGpt2, (d) => editSafetensors(join(d, 'model.safetensors'), (t) => poison(t, 'ln_f.weight', 7, Infinity)));
    const e = await loadGpt2(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NonFiniteTensorError);
    expect(e).toMatchObject({ tensor: 'ln_f.weight', index: 7, kind: 'data', path: join(dir, 'model.safetensors') });
  });

  it('weights: a missing shard of a sharded checkpoint is a MissingCheckpointFileError naming the shard', async () => {
    const dir = variant('sharded', tinyGpt2, (d) => {
      const parsed = parseSafetensors(new Uint8Array(readFileSync(join(d, 'model.safetensors'))));
      const names = [...parsed.tensors.keys()].sort();
      const halves = [names.slice(0, 10), names.slice(10)];
      const weightMap: Record<string, string> = {};
      halves.forEach((part, i) => {
        const file = `model-0000${i + 1}-of-00002.safetensors`;
        writeFileSync(join(d, file), serializeSafetensors(new Map(part.map((n) => [n, parsed.tensors.get(n)!]))));
        for (const n of part) weightMap[n] = file;
      });
      writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
      unlinkSync(join(d, 'model.safetensors'));
    });
    const whole = await loadGpt2(dir); // the two shards load
    whole.dispose();
    unlinkSync(join(dir, 'model-00002-of-00002.safetensors'));
    const e = await loadGpt2(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MissingCheckpointFileError);
    expect((e as Error).message).toBe(`${join(dir, 'model-00002-of-00002.safetensors')}: is missing: model.safetensors.index.json lists it as a shard of the weights`);
  });

  it('config: n_layer 3 over 2-layer weights is a MissingTensorError for layer 2', async () => {
    const dir = variant('n-layer-3', tinyGpt2, (d) => editJson(join(d, 'config.json'), (j) => (j.n_layer = 3)));
    const e = await loadGpt2(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MissingTensorError);
    expect((e as MissingTensorError).message).toBe(`${join(dir, 'model.safetensors')}: tensor 'h.2.ln_1.weight' is missing`);
  });

  it('config: RoBERTa num_hidden_layers 1 over 2-layer weights is an UnusedLayerTensorsError', async () => {
    const dir = variant('roberta-1-layer', tinyRoberta, (d) => editJson(join(d, 'config.json'), (j) => (j.num_hidden_layers = 1)));
    const e = await loadRoberta(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnusedLayerTensorsError);
    expect((e as UnusedLayerTensorsError).tensors.every((n) => n.startsWith('roberta.encoder.layer.1.'))).toBe(true);
    expect((e as Error).message).toMatch(/config\.json: num_hidden_layers is 1: the two must agree$/);
  });

  it('config: n_embd, vocab_size and n_positions above their limits fail at once, as data errors naming the field', async () => {
    for (const [field, value] of [['n_embd', 2 ** 20], ['vocab_size', 2 ** 30], ['n_positions', 2 ** 28]] as const) {
      const dir = variant(`huge-${field}`, tinyGpt2, (d) => editJson(join(d, 'config.json'), (j) => (j[field] = value)));
      const e = await loadGpt2(dir).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).toMatchObject({ kind: 'data', field: `${join(dir, 'config.json')}: ${field}` });
    }
  });

  it('tokenizer: a merge naming a symbol outside the vocabulary (merges.txt with its line, and tokenizer.json)', async () => {
    const txt = variant('merge-oov-txt', tinyGpt2, (d) => {
      unlinkSync(join(d, 'tokenizer.json'));
      writeFileSync(join(d, 'merges.txt'), readFileSync(join(d, 'merges.txt'), 'utf8').replace(/\n$/, '') + '\nzq§ xk¶\n');
    });
    const lines = readFileSync(join(txt, 'merges.txt'), 'utf8').replace(/\n$/, '').split('\n').length;
    const a = await loadTokenizer(txt).catch((x: unknown) => x);
    expect(a).toBeInstanceOf(TokenizerFileError);
    expect((a as Error).message).toBe(`${txt}/merges.txt:${lines}: merge "zq§ xk¶" names "zq§", which is not in the vocabulary`);
    const json = variant('merge-oov-json', tinyGpt2, (d) => editJson(join(d, 'tokenizer.json'), (j) => {
      const merges = (j.model as { merges: unknown[] }).merges;
      merges.push(typeof merges[0] === 'string' ? 'Ġ qqqz' : ['Ġ', 'qqqz']);
    }));
    const b = await loadTokenizer(json).catch((x: unknown) => x);
    expect(b).toBeInstanceOf(TokenizerFileError);
    expect((b as Error).message).toMatch(new RegExp(`^${json}/tokenizer\\.json: merge \\d+ \\("Ġ qqqz"\\) names "qqqz", which is not in the vocabulary$`));
  });
});

describe('a hostile training checkpoint through the API', () => {
  it('a NaN moment is a NonFiniteTensorError naming the file and tensor, and no variable is assigned', async () => {
    const dir = join(work, 'nan-checkpoint');
    mkdirSync(dir, { recursive: true });
    const w = tf.variable(tf.tensor1d([1, 2, 3]), true, 'w#hostile-a');
    const b = tf.variable(tf.tensor1d([4, 5]), true, 'b#hostile-a');
    const saved = new AdamW([['w', w], ['b', b]], NLG_ADAMW);
    await writeCheckpoint(dir, saved, { step: 3 } as never);
    const file = join(dir, 'checkpoint.safetensors');
    const parsed = parseSafetensors(new Uint8Array(readFileSync(file)));
    const tensors = new Map(parsed.tensors);
    poison(tensors, 'adam_v/b', 1, NaN);
    writeFileSync(file, serializeSafetensors(tensors, parsed.metadata));
    const w2 = tf.variable(tf.zeros([3]), true, 'w#hostile-b');
    const b2 = tf.variable(tf.zeros([2]), true, 'b#hostile-b');
    const e = await readCheckpoint(dir, new AdamW([['w', w2], ['b', b2]], NLG_ADAMW)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NonFiniteTensorError);
    expect((e as Error).message).toBe(`${file}: tensor 'adam_v/b' holds NaN at flat index 1; every value must be finite`);
    expect(Array.from(w2.dataSync())).toEqual([0, 0, 0]); // 'param/w', read before the bad moment, is not assigned
    tf.dispose([w, b, w2, b2, ...saved.m, ...saved.v]);
  });
});

describe('hostile WebNLG files through the API: a DataFormatError with the file and line', () => {
  const entry = (lex: string, triple = 'A | b | C') =>
    `<entry category="X" eid="1" size="1">\n<modifiedtripleset><mtriple>${triple}</mtriple></modifiedtripleset>\n<lex comment="good" lid="1">${lex}</lex>\n</entry>\n`;
  const xml = (...entries: string[]) => `<?xml version="1.0"?>\n<benchmark>\n<entries>\n${entries.join('')}</entries>\n</benchmark>\n`;

  it('a well-formed file reads (the cases below differ by one fault each)', () => {
    expect(webnlgFromXml(xml(entry('A b &amp; C&#233;.')), 'ok.xml')).toEqual([
      { triples: [{ subject: 'A', property: 'b', object: 'C' }], target: 'A b & Cé.', entryIndex: 0, category: 'X' },
    ]);
  });

  it('&#99999999; and a surrogate reference are refused at their line (an untyped RangeError before)', () => {
    for (const ref of ['&#99999999;', '&#xD800;']) {
      const e = (() => {
        try {
          webnlgFromXml(xml(entry('fine'), entry(`bad ${ref}`)), 'refs.xml');
        } catch (x) {
          return x;
        }
      })();
      expect(e).toBeInstanceOf(DataFormatError);
      expect(e).toMatchObject({ file: 'refs.xml', line: 10 });
      expect((e as Error).message).toMatch(/is not a Unicode character/);
    }
  });

  it('a truncated file is refused (it was accepted, losing the entries cut off)', () => {
    const full = xml(entry('one'), entry('two'), entry('three'));
    const cutInEntry = full.slice(0, full.indexOf('three') + 2);
    expect(() => webnlgFromXml(cutInEntry, 'cut.xml')).toThrow(DataFormatError);
    expect(() => webnlgFromXml(cutInEntry, 'cut.xml')).toThrow(/^cut\.xml:12: <entry> is not closed: the file is truncated$/);
    const cutAfterEntry = full.slice(0, full.indexOf('</entries>'));
    expect(() => webnlgFromXml(cutAfterEntry, 'cut2.xml')).toThrow(/^cut2\.xml:\d+: the file ends before <\/benchmark>: it is truncated$/);
  });

  it('1.6 MB of unclosed <entry> elements is refused at the first one (it took 30 s)', () => {
    const text = xml(entry('fine'), '<entry category="X">\n<modifiedtripleset>'.repeat(40_000));
    expect(text.length).toBeGreaterThan(1_600_000);
    expect(() => webnlgFromXml(text, 'unclosed.xml')).toThrow(/^unclosed\.xml:8: <entry> is not closed before the next <entry>$/);
  });

  it('a 1 MB lexicalisation is refused naming the record, in XML and in JSON', () => {
    const big = 'word '.repeat(200_000);
    expect(() => webnlgFromXml(xml(entry(big)), 'big.xml')).toThrow(new RegExp(`^big\\.xml:6: <lex> is 1000000 characters, above the limit of ${MAX_RECORD_CHARS} for one record$`));
    const doc = { entries: [webnlgEntry(0, 'fine'), webnlgEntry(1, big)] };
    expect(() => webnlgFromJson(doc, 'big.json')).toThrow(DataFormatError);
    expect(() => webnlgFromJson(doc, 'big.json')).toThrow(/^big\.json: entries\[1\]\["2"\]\.lexicalisations\[0\]\.lex is 1000000 characters/);
  });

  it('every error above is a PeftError of kind data, so the command line reports it without a stack, exit 1', () => {
    const e = (() => {
      try {
        webnlgFromXml(xml(entry('x')).slice(0, 60), 'k.xml');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(PeftError);
    expect((e as PeftError).kind).toBe('data');
  });
});
