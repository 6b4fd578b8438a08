import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { heapExhaustedMessage, isWasmHeapExhausted } from '../src/cli/heap-exhausted.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../..');
const cli = join(here, '../dist/cli.js');
const tinyGpt2 = join(repo, 'test-fixtures/tiny-gpt2');
const work = mkdtempSync(join(tmpdir(), 'peft-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function peft(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, PEFT_BACKEND: 'cpu' }, cwd: work });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** Nothing named like the run's output is left in `work`. */
function noOutput(name: string): void {
  expect(readdirSync(work).filter((f) => f.startsWith(name))).toEqual([]);
}

describe('peft command: bad inputs give a clear message, a non-zero exit and no output', () => {
  it('is built', () => {
    expect(existsSync(cli), 'build @peft/recipes first (npm run build)').toBe(true);
  });

  it('picks the backend the training step of the model fits, and says why (no PEFT_BACKEND)', () => {
    const data = join(work, 'empty-data-plan');
    mkdirSync(data, { recursive: true });
    const env = { ...process.env };
    delete env.PEFT_BACKEND;
    const r = spawnSync(process.execPath, [cli, 'train', 'webnlg', '--model', tinyGpt2, '--data', data, '--out', join(work, 'run-plan')], { encoding: 'utf8', env, cwd: work });
    expect(r.status).toBe(1); // the data is missing; the backend was chosen before
    expect(r.stderr).toMatch(/backend: wasm \(@tensorflow\/tfjs-backend-wasm\): 2 blocks × \d+, B 2 × T \d+ fits the wasm heap .*; ~\d+\.\d GB with no block rematerialised/);
  });

  it('missing data file', () => {
    const data = join(work, 'empty-data');
    mkdirSync(data, { recursive: true });
    const r = peft('train', 'webnlg', '--model', tinyGpt2, '--data', data, '--out', join(work, 'run-missing'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/peft: error: .*webnlg_challenge_2017\/train\.json: not found in the --data folder; `peft data get webnlg --dir .*empty-data` fetches it there/);
    noOutput('run-missing');
  });

  it('no data anywhere (no --data, no PEFT_DATA, an empty cache): the error names `peft data get sst2`', () => {
    const home = join(work, 'empty-home');
    const r = spawnSync(process.execPath, [cli, 'train', 'sst2', '--model', join(repo, 'test-fixtures/tiny-roberta'), '--out', join(work, 'run-nodata')], {
      encoding: 'utf8', cwd: work, env: { ...process.env, PEFT_BACKEND: 'cpu', PEFT_DATA: '', PEFT_HOME: home },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`peft: error: ${join(home, 'data', 'sst2/SST-2/train.tsv')}: no sst2 data in ${join(home, 'data')} (the cache): run \`peft data get sst2\` (or pass --data DIR)`);
    noOutput('run-nodata');
  });

  it('malformed JSON line, named with its number', () => {
    const dir = join(work, 'bad-data', 'webnlg', 'webnlg_challenge_2017');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'train.json'), '{\n  "entries": [\n    {"1": {"lexicalisations": [] "modifiedtripleset": []}}\n  ]\n}\n');
    writeFileSync(join(dir, 'dev.json'), '{"entries": []}');
    writeFileSync(join(dir, 'test.json'), '{"entries": []}');
    const r = peft('train', 'webnlg', '--model', tinyGpt2, '--data', join(work, 'bad-data'), '--out', join(work, 'run-badjson'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/train\.json:3: malformed JSON/);
    noOutput('run-badjson');
  });

  it('malformed TSV line, named with its number', () => {
    const dir = join(work, 'bad-tsv', 'sst2', 'SST-2');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'train.tsv'), 'sentence\tlabel\ngood \t1\nno tab here\n');
    writeFileSync(join(dir, 'dev.tsv'), 'sentence\tlabel\nfine \t1\n');
    const r = peft('train', 'sst2', '--model', join(repo, 'test-fixtures/tiny-roberta'), '--data', join(work, 'bad-tsv'), '--out', join(work, 'run-badtsv'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/train\.tsv:3: has 1 tab-separated fields, the header has 2/);
    noOutput('run-badtsv');
  });

  it('a model folder without weights', () => {
    const m = join(work, 'no-weights');
    mkdirSync(m, { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'vocab.json', 'merges.txt']) copyFileSync(join(tinyGpt2, f), join(m, f));
    // the demo's data (in the package), so that the model is what fails on a clone with no data beside it
    const r = peft('train', 'webnlg', '--model', m, '--data', join(repo, 'packages/recipes/demo/data'), '--out', join(work, 'run-noweights'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/peft: error: .*no-weights/);
    expect(r.stderr).not.toMatch(/internal error/);
    noOutput('run-noweights');
  });

  it('an adapter trained for another model shape', () => {
    const a = join(work, 'other-adapter');
    mkdirSync(a, { recursive: true });
    const spec = { architecture: 'gpt2', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072 };
    writeFileSync(join(a, 'adapter_config.json'), JSON.stringify({ peft_library: '@peft', format_version: 1, peft_method: { type: 'lora', config: {} }, model_spec: spec }));
    const empty = Buffer.alloc(16);
    empty.writeBigUInt64LE(8n, 0);
    empty.write('{}      ', 8);
    writeFileSync(join(a, 'adapter_model.safetensors'), empty);
    const r = peft('generate', '--model', tinyGpt2, '--adapter', a, '--triples', 'A | b | C');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/peft: error: .*adapter_config\.json: field 'model_spec\.numLayers' is 12 in the adapter, but 2 here/);
    expect(r.stdout).toBe('');
  });

  it('an unknown preset lists the known ones; a preset of the wrong family is refused', () => {
    const r = peft('train', 'webnlg', '--model', tinyGpt2, '--preset', 'no-such', '--out', join(work, 'run-preset'));
    expect(r.code).toBe(2); // an input error;
    expect(r.stderr).toMatch(/unknown preset 'no-such' \(known: .*inducer-lora/);
    noOutput('run-preset');
    const w = peft('train', 'webnlg', '--model', tinyGpt2, '--preset', 'nlu-inducer-lora', '--out', join(work, 'run-family'));
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/NLU preset; webnlg needs an NLG one/);
    noOutput('run-family');
  });

  it('usage errors exit 2', () => {
    expect(peft('frobnicate').code).toBe(2);
    const r = peft('train', 'webnlg', '--model', tinyGpt2, '--epochs', 'two');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--epochs must be an integer/);
    const c = peft('train', 'webnlg', '--model', tinyGpt2, '--checkpoint-blocks', 'some');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/option '--checkpoint-blocks <k>' argument 'some' is invalid\. --checkpoint-blocks must be all, none or a block count\./);
  });
});

describe('peft presets', () => {
  it('lists the parameters stored and trained of every preset, the nine totals of spec §5 among them', () => {
    const r = peft('presets');
    expect(r.code, r.stderr).toBe(0);
    const rows = new Map(r.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/)).filter((c) => c.length >= 7).map((c) => [c[0]!, c]));
    expect(rows.get('preset')!.slice(0, 7)).toEqual(['preset', 'family', 'base model', 'stored', '% of base', 'trained', '% of base']);
    // spec §5: [preset, stored, % of the base] — the paper's count; for every row but he-mam-glue trained = stored
    const spec: [string, string, string][] = [
      ['inducer-lora', '2,002,320', '1.609'], ['inducer-no-lora', '2,003,472', '1.610'], ['inducer-mam', '2,020,248', '1.623'],
      ['adapter-108', '2,019,600', '1.623'], ['lora-54', '2,009,088', '1.615'], ['nlu-inducer-lora', '609,120', '0.489'],
      ['nlu-inducer-mam', '599,760', '0.481'], ['nlu-inducer-no-lora', '609,696', '0.489'], ['he-mam-glue', '599,232', '0.481'],
    ];
    for (const [name, stored, percent] of spec) {
      const row = rows.get(name)!;
      expect(row, name).toBeDefined();
      expect(row.slice(3, 5), name).toEqual([stored, percent]);
      if (name !== 'he-mam-glue') expect(row[5], name).toBe(stored);
    }
    // prefix-tuning trains its reparameterisation MLP and stores the prefixes
    expect(rows.get('he-mam-glue')!.slice(5, 7)).toEqual(['15,695,840', '12.592']);
    expect(rows.get('prefix-tuning')!.slice(3, 6)).toEqual([(18_432 * 109).toLocaleString('en-US'), '1.615', '9,933,056']);
    expect(r.stdout).toMatch(/stored: the parameters the adapter file holds and inference needs/);
    const j = JSON.parse(peft('presets', '--json').stdout) as { preset: string; stored: number; trained: number }[];
    expect(j.find((p) => p.preset === 'he-mam-glue')).toMatchObject({ stored: 599_232, trained: 15_695_840 });
  });
});

describe('peft metrics', () => {
  it('bleu and ter print one JSON object', () => {
    writeFileSync(join(work, 'hyp.txt'), 'the cat sat on the mat\nhello world\n');
    writeFileSync(join(work, 'ref.txt'), 'the cat sat on the mat\nhello there world\n');
    const b = peft('metrics', 'bleu', '--hyp', join(work, 'hyp.txt'), '--ref', join(work, 'ref.txt'));
    expect(b.code).toBe(0);
    const j = JSON.parse(b.stdout) as { metric: string; score: number; segments: number };
    expect(j.metric).toBe('bleu');
    expect(j.segments).toBe(2);
    expect(j.score).toBeGreaterThan(0);
    const t = JSON.parse(peft('metrics', 'ter', '--hyp', join(work, 'hyp.txt'), '--ref', join(work, 'ref.txt')).stdout) as { score: number; edits: number };
    expect(t.edits).toBe(1); // one insertion ('there')
    const missing = peft('metrics', 'bleu', '--hyp', join(work, 'nope.txt'), '--ref', join(work, 'ref.txt'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.txt/);
  });
});

describe('peft train on the NLU and CoQA paths (2 steps, tiny fixtures, test fixtures as data)', () => {
  it('mnli on tiny RoBERTa with a 3-class head; coqa on tiny GPT-2 scored by the official CoQA evaluation', () => {
    const fixtures = join(here, 'fixtures');
    const data = join(work, 'data2');
    mkdirSync(join(data, 'mnli', 'MNLI'), { recursive: true });
    mkdirSync(join(data, 'coqa'), { recursive: true });
    copyFileSync(join(fixtures, 'mnli-train.tsv'), join(data, 'mnli', 'MNLI', 'train.tsv'));
    copyFileSync(join(fixtures, 'mnli-dev_matched.tsv'), join(data, 'mnli', 'MNLI', 'dev_matched.tsv'));
    copyFileSync(join(fixtures, 'mnli-dev_matched.tsv'), join(data, 'mnli', 'MNLI', 'dev_mismatched.tsv'));
    copyFileSync(join(fixtures, 'coqa-dev-v1.0.json'), join(data, 'coqa', 'coqa-train-v1.0.json'));
    copyFileSync(join(fixtures, 'coqa-dev-v1.0.json'), join(data, 'coqa', 'coqa-dev-v1.0.json'));
    // (--checkpoint-blocks works on RoBERTa too: the first layer rematerialised)
    const m = peft('train', 'mnli', '--model', join(repo, 'test-fixtures/tiny-roberta'), '--data', data, '--out', join(work, 'mnli-run'), '--max-steps', '2', '--batch-size', '4', '--checkpoint-blocks', '1');
    expect(m.code, m.stderr).toBe(0);
    const mj = JSON.parse(m.stdout) as { steps: number; metrics: Record<string, number> };
    expect(mj.steps).toBe(2);
    expect(mj.metrics.accuracy! * 5).toBeCloseTo(Math.round(mj.metrics.accuracy! * 5), 9); // 5 labelled dev rows
    expect(existsSync(join(work, 'mnli-run', 'adapter', 'adapter_config.json'))).toBe(true);
    // the saved adapter (the only validation is the last step's) evaluates to the same accuracies
    const e = peft('eval', 'mnli', '--model', join(repo, 'test-fixtures/tiny-roberta'), '--adapter', join(work, 'mnli-run', 'adapter'), '--data', data);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toEqual({ accuracy: mj.metrics.accuracy, 'accuracy (mismatched)': mj.metrics['accuracy (mismatched)'] });
    const c = peft('train', 'coqa', '--model', tinyGpt2, '--data', data, '--out', join(work, 'coqa-run'), '--max-steps', '2', '--batch-size', '4', '--test-entries', '1');
    expect(c.code, c.stderr).toBe(0);
    const cj = JSON.parse(c.stdout) as { metrics: Record<string, number> };
    expect(cj.metrics.turns).toBe(4); // every turn of the first story
    expect(cj.metrics['missing predictions']).toBe(0);
    expect(existsSync(join(work, 'coqa-run', 'predictions.json'))).toBe(true);
  });
});

describe('the wasm heap running out', () => {
  it('is recognised from the runtime error Emscripten throws, only on wasm, and explained', () => {
    const oob = new WebAssembly.RuntimeError('memory access out of bounds');
    expect(isWasmHeapExhausted(oob, () => 'wasm')).toBe(true);
    expect(isWasmHeapExhausted(new WebAssembly.RuntimeError('Aborted(OOM)'), () => 'wasm')).toBe(true);
    expect(isWasmHeapExhausted(oob, () => 'tensorflow')).toBe(false);
    expect(isWasmHeapExhausted(new WebAssembly.RuntimeError('unreachable'), () => 'wasm')).toBe(false);
    expect(isWasmHeapExhausted(new Error('memory access out of bounds'), () => 'wasm')).toBe(false);
    expect(heapExhaustedMessage(oob)).toMatch(/4 GiB heap ran out \(memory access out of bounds\)\. Lower --batch-size/);
  });
});
