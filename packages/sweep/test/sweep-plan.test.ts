import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SweepFileError } from '../src/errors.js';
import { formatPlan, planSweep, trainArgs } from '../src/plan.js';
import { parseSweep, readSweepFile } from '../src/sweep-file.js';

const work = mkdtempSync(join(tmpdir(), 'peft-sweep-plan-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const YAML = `# the paper's NLU table, three seeds
name: table1-nlu
out: runs
model: { nlu: models/roberta-base, nlg: /abs/gpt2 }
tasks:
  sst2:
  webnlg:
    presets: [inducer-lora, adapter-108]
    seeds: [123, 7]
    train: { test-entries: 0 }
presets: [nlu-inducer-lora, he-mam-glue]
seeds: [42, 2, 4]
train:
  max-steps: 100
  padding: batch
`;

function errorOf(doc: unknown): SweepFileError {
  try {
    parseSweep(doc, '/x/sweep.json');
  } catch (e) {
    if (e instanceof SweepFileError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('sweep file → jobs', () => {
  it("YAML and JSON read alike; paths are relative to the file; each job gets the paper's settings for its task and preset, then the file's", () => {
    writeFileSync(join(work, 'a.yaml'), YAML);
    const spec = readSweepFile(join(work, 'a.yaml'));
    const { file: _f, ...rest } = spec;
    writeFileSync(join(work, 'a.json'), JSON.stringify({
      name: 'table1-nlu', out: 'runs', model: { nlu: 'models/roberta-base', nlg: '/abs/gpt2' },
      tasks: { sst2: null, webnlg: { presets: ['inducer-lora', 'adapter-108'], seeds: [123, 7], train: { 'test-entries': 0 } } },
      presets: ['nlu-inducer-lora', 'he-mam-glue'], seeds: [42, 2, 4], train: { 'max-steps': 100, padding: 'batch' },
    }));
    const { file: _g, ...fromJson } = readSweepFile(join(work, 'a.json'));
    expect(fromJson).toEqual(rest);
    expect(spec.out).toBe(join(work, 'runs'));
    expect(spec.models).toEqual({ sst2: join(work, 'models/roberta-base'), webnlg: '/abs/gpt2' });

    const jobs = planSweep(spec);
    // sst2: 2 presets (the top-level list's NLU ones) × 3 seeds; webnlg: its own 2 presets × 2 seeds
    expect(jobs.map((j) => j.run)).toEqual([
      'sst2-nlu-inducer-lora-s42', 'sst2-nlu-inducer-lora-s2', 'sst2-nlu-inducer-lora-s4',
      'sst2-he-mam-glue-s42', 'sst2-he-mam-glue-s2', 'sst2-he-mam-glue-s4',
      'webnlg-inducer-lora-s123', 'webnlg-inducer-lora-s7', 'webnlg-adapter-108-s123', 'webnlg-adapter-108-s7',
    ]);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
    expect(jobs[0]!.id).toBe('table1-nlu/sst2-nlu-inducer-lora-s42');
    // spec §6.2: KA inducer batch 16, lr 2e-4; He et al.'s MAM batch 32, lr 1e-4
    expect(jobs[0]!.flags).toEqual({ 'batch-size': 16, lr: 2e-4, 'max-steps': 100, padding: 'batch' });
    expect(jobs[3]!.flags).toEqual({ 'batch-size': 32, lr: 1e-4, 'max-steps': 100, padding: 'batch' });
    // spec §6.1: 4 GPUs × batch 2 (inducer-lora) or 4 (Pfeiffer adapter), lr 1.25e-3; the task's train options last
    expect(jobs[6]!.flags).toEqual({ 'batch-size': 2, accum: 4, lr: 1.25e-3, 'max-steps': 100, padding: 'batch', 'test-entries': 0 });
    expect(jobs[8]!.flags['batch-size']).toBe(4);
    expect(trainArgs(jobs[3]!, '/mnt/shared', true)).toEqual([
      'train', 'sst2', '--model', join(work, 'models/roberta-base'), '--preset', 'he-mam-glue', '--seed', '42',
      '--batch-size', '32', '--lr', '0.0001', '--max-steps', '100', '--padding', 'batch', '--out', '/mnt/shared/sst2-he-mam-glue-s42', '--resume',
    ]);
    expect(formatPlan(spec, jobs)).toMatch(/^sweep 'table1-nlu': 10 jobs into .*runs\n/);
  });

  it("without presets or seeds: every preset of the task's family, and the paper's seeds (NLU 42, 2, 4, 6, 8; NLG 123)", () => {
    const jobs = planSweep(parseSweep({ name: 's', out: '/o', model: { nlu: '/r', nlg: '/g' }, tasks: ['mnli', 'coqa'] }, '/x/s.yaml'));
    const mnli = jobs.filter((j) => j.task === 'mnli');
    expect([...new Set(mnli.map((j) => j.preset))]).toEqual(['nlu-inducer-lora', 'nlu-inducer-mam', 'nlu-inducer-no-lora', 'he-mam-glue']);
    expect([...new Set(mnli.map((j) => j.seed))]).toEqual([42, 2, 4, 6, 8]);
    const coqa = jobs.filter((j) => j.task === 'coqa');
    expect([...new Set(coqa.map((j) => j.preset))]).toEqual(['inducer-lora', 'inducer-no-lora', 'inducer-mam', 'adapter-108', 'lora-54', 'prefix-tuning', 'mam-adapter']);
    expect([...new Set(coqa.map((j) => j.seed))]).toEqual([123]);
    expect(formatPlan(parseSweep({ name: 's', out: '/o', model: '/g', tasks: ['coqa'] }, '/x/s.yaml'), coqa)).toMatch(/one seed only for coqa × inducer-lora, /);
  });

  it('bad fields fail with a SweepFileError naming the file and the field', () => {
    const base = { name: 's', out: '/o', model: '/r', tasks: ['sst2'] };
    const cases: [unknown, string, RegExp][] = [
      [[1, 2], '', /must be a map of fields \(the whole file\)/],
      [{ ...base, name: 'a b' }, 'name', /letters, digits/],
      [{ ...base, out: undefined }, 'out', /is required/],
      [{ ...base, tasks: ['sst3'] }, 'tasks[0]', /unknown task "sst3"/],
      [{ ...base, tasks: { sst2: { preset: ['x'] } } }, 'tasks.sst2.preset', /is not a task field/],
      [{ ...base, presets: ['nope'] }, 'presets', /unknown preset 'nope' \(known: .*nlu-inducer-lora/],
      [{ ...base, tasks: { sst2: { presets: ['inducer-lora'] } } }, 'tasks.sst2.presets', /'inducer-lora' is an NLG preset; sst2 needs an NLU one/],
      [{ ...base, presets: ['inducer-lora'] }, 'presets', /names no NLU preset for sst2/],
      [{ ...base, seeds: [1, 1] }, 'seeds', /names one seed twice/],
      [{ ...base, seeds: [1.5] }, 'seeds[0]', /--seed must be an integer ≥ 0, got 1\.5/],
      [{ ...base, seeds: [1, 1e20] }, 'seeds[1]', /--seed must be an integer ≥ 0, got 100000000000000000000/],
      [{ ...base, train: { lr: 0 } }, 'train.lr', /--lr must be a number > 0, got 0/],
      [{ ...base, train: { 'max-steps': 1e20 } }, 'train.max-steps', /--max-steps must be an integer ≥ 1, got 100000000000000000000/],
      [{ ...base, train: { 'max-steps': 0 } }, 'train.max-steps', /--max-steps must be an integer ≥ 1, got 0/],
      [{ ...base, train: { padding: 'some' } }, 'train.padding', /--padding must be one of global, batch, got "some"/],
      [{ ...base, train: { out: 'x' } }, 'train.out', /is set by the sweep \(its out field\)/],
      [{ ...base, train: { resume: true } }, 'train.resume', /is set by the sweep/],
      [{ ...base, train: { 'batch-sise': 2 } }, 'train.batch-sise', /is not an option of peft train with a value/],
      [{ ...base, tasks: ['sst2', 'webnlg'] }, 'model', /one folder cannot serve both/],
      [{ ...base, model: { nlg: '/g' } }, 'model.nlu', /is required for sst2/],
      [{ ...base, model: { gpt: '/g' } }, 'model.gpt', /neither a family/],
      [{ ...base, against: ['x'] }, 'against', /unknown preset 'x'/],
      [{ ...base, extra: 1 }, 'extra', /is not a sweep field/],
    ];
    for (const [doc, field, message] of cases) {
      const e = errorOf(doc);
      expect(e.field, JSON.stringify(doc)).toBe(field);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith(`/x/sweep.json${field ? `: field '${field}'` : ''}: `)).toBe(true);
    }
  });

  it('a file that is not YAML or JSON, or is missing, is a SweepFileError naming the file', () => {
    writeFileSync(join(work, 'bad.json'), '{ "name": ');
    expect(() => readSweepFile(join(work, 'bad.json'))).toThrow(/bad\.json: is not valid JSON/);
    writeFileSync(join(work, 'bad.yaml'), 'name: [unclosed\n');
    expect(() => readSweepFile(join(work, 'bad.yaml'))).toThrow(/bad\.yaml: is not valid YAML/);
    expect(() => readSweepFile(join(work, 'none.yaml'))).toThrow(SweepFileError);
  });
});

const tinyRoberta = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));

describe('peft sweep plan / peft worker on the command line', () => {
  const cli = fileURLToPath(new URL('../../recipes/dist/cli.js', import.meta.url));
  const peft = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  it('plan prints the jobs; a bad field exits 2 (an input error) naming it; a bad flag value exits 2 with commander\'s message', () => {
    writeFileSync(join(work, 'cli.yaml'), `name: c\nout: runs\nmodel: ${tinyRoberta}\ntasks: [sst2]\npresets: [he-mam-glue]\nseeds: [1, 2]\n`);
    const ok = peft('sweep', 'plan', join(work, 'cli.yaml'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('sst2-he-mam-glue-s2\tsst2\the-mam-glue\t2\t--batch-size 32 --lr 0.0001');
    writeFileSync(join(work, 'cli-bad.yaml'), `name: c\nout: runs\nmodel: ${tinyRoberta}\ntasks: [sst2]\ntrain: { lr: fast }\n`);
    const bad = peft('sweep', 'plan', join(work, 'cli-bad.yaml'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/peft: error: .*cli-bad\.yaml: field 'train\.lr': --lr must be a number > 0, got "fast"/);
    // a model folder that is not there, or of the wrong kind: the loader's own message, before anything is queued
    writeFileSync(join(work, 'cli-nomodel.yaml'), 'name: c\nout: runs\nmodel: no-such-model\ntasks: [sst2]\n');
    const nomodel = peft('sweep', 'plan', join(work, 'cli-nomodel.yaml'));
    expect(nomodel.status).toBe(2);
    expect(nomodel.stderr).toMatch(/cli-nomodel\.yaml: field 'model\.nlu': .*no-such-model\/config\.json: no config\.json here/);
    writeFileSync(join(work, 'cli-wrongmodel.yaml'), `name: c\nout: runs\nmodel: ${tinyRoberta.replace('tiny-roberta', 'tiny-gpt2')}\ntasks: [sst2]\n`);
    const wrong = peft('sweep', 'run', join(work, 'cli-wrongmodel.yaml'), '--redis', 'redis://127.0.0.1:1');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/field 'model\.nlu': .*tiny-gpt2 holds a gpt2 model; sst2 needs RoBERTa/);
    const usage = peft('worker', '--redis', 'localhost:6379');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/option '--redis <url>' argument 'localhost:6379' is invalid\. --redis must be a redis:\/\/ or rediss:\/\/ URL/);
  });
});
