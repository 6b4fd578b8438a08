// @peft IA³ ↔ Hugging Face PEFT 0.21 IA3, both ways, on the tiny GPT-2 fixture: transformers + peft + PyTorch (CPU)
// in the venv that packages/recipes/test/hf-peft-interop.e2e.test.ts makes from the machine's local Python package
// index (`pip config list`), cached in test-output/hf-venv. Without that index the test says so and skips (outside
// CI; under CI=true a missing part fails). PEFT_WRITE_FIXTURES=1 also records the golden values that
// golden.test.ts checks in CI without Python.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, attach } from '@peft/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ia3, importHuggingFaceIa3, type Ia3Options } from '../src/index.js';
import type { Gpt2Model, RobertaModel } from '@peft/models-gpt2-roberta';
import { IDS, ROBERTA_IDS, TINY_GPT2_DIR, TINY_ROBERTA_DIR, classLogitsOf, logitsOf, randomise, relDiff, tinyGpt2, tinyRoberta } from './helpers.js';
import { huggingFacePython } from '../../../test/hf-venv.js';

const SCRIPT = fileURLToPath(new URL('./hf-peft/ia3_roundtrip.py', import.meta.url));
const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));
const TOL = 1e-4;

const python = huggingFacePython('hf-peft IA3 e2e');

const work = mkdtempSync(join(tmpdir(), 'peft-ia3-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result { name: string; error?: string; trace?: string; logits: number[]; merged_logits: number[]; warnings?: string[]; trainable?: number }

function runPython(jobs: Record<string, unknown>[]): Map<string, Result> {
  const jobsFile = join(work, `jobs-${Date.now()}.json`);
  const out = join(work, `results-${Date.now()}.json`);
  writeFileSync(jobsFile, JSON.stringify(jobs));
  execFileSync(python!, [SCRIPT, jobsFile, out], { stdio: 'inherit', timeout: 600_000, env: { ...process.env, TRANSFORMERS_VERBOSITY: 'warning' } });
  return new Map((JSON.parse(readFileSync(out, 'utf8')) as Result[]).map((r) => [r.name, r]));
}

type Arch = 'gpt2' | 'roberta';
type Model = Gpt2Model | RobertaModel;
const load = (arch: Arch): Promise<Model> => (arch === 'gpt2' ? tinyGpt2() : tinyRoberta());
/** GPT-2's LM logits, RoBERTa's 3 class logits. */
const outputs = (m: Model): Float32Array => ('classify' in m ? classLogitsOf(m) : logitsOf(m));
const base = (arch: Arch): Record<string, unknown> =>
  arch === 'gpt2' ? { arch, base: TINY_GPT2_DIR, input_ids: IDS } : { arch, base: TINY_ROBERTA_DIR, input_ids: ROBERTA_IDS, num_labels: 3 };

/** The last position's logits (what golden.test.ts compares). */
const lastPosition = (logits: ArrayLike<number>): number[] => Array.from(logits).slice(-(logits.length / IDS.length));

// @peft → PEFT: adapters @peft writes, loaded with PeftModel.from_pretrained
const OURS: { name: string; options: Ia3Options; arch?: Arch }[] = [
  { name: 'defaults: attn.k, attn.v, ffn.act (c_attn with q = 1, mlp.c_proj feedforward)', options: {} },
  { name: 'every linear output but ffn.out, and ffn.act', options: { targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.act'] } },
  { name: "attn.v and ffn.out's output (mlp.c_proj not feedforward)", options: { targets: ['attn.v', 'ffn.out'] } },
  { name: 'RoBERTa defaults (key, value, layer.N.output.dense feedforward) + classifier head', options: {}, arch: 'roberta' },
];

// PEFT → @peft: adapters PEFT's save_pretrained writes, read with importHuggingFaceIa3
const THEIRS: { name: string; config: Record<string, unknown>; arch?: Arch }[] = [
  { name: "PEFT's GPT-2 default (c_attn, mlp.c_proj feedforward)", config: {} },
  { name: 'attn.c_proj and mlp.c_fc outputs, no feedforward module', config: { target_modules: ['attn.c_proj', 'mlp.c_fc'], feedforward_modules: [] } },
  { name: 'regex targets: c_attn, mlp.c_fc, mlp.c_proj feedforward', config: { target_modules: '.*\\.h\\.\\d+\\.(?:attn\\.c_attn|mlp\\.c_fc|mlp\\.c_proj)', feedforward_modules: '.*\\.h\\.\\d+\\.mlp\\.c_proj' } },
  {
    name: 'RoBERTa SEQ_CLS: key, value, layer.N.output.dense feedforward, query output + head',
    config: { target_modules: '.*\\.layer\\.\\d+\\.(?:attention\\.self\\.(?:query|key|value)|output\\.dense)', feedforward_modules: '.*\\.layer\\.\\d+\\.output\\.dense' },
    arch: 'roberta',
  },
];

const figures: string[] = [];
afterAll(() => {
  if (figures.length) console.log(`\nHugging Face PEFT IA3 round trips (max relative difference, float32, CPU):\n${figures.join('\n')}\n`);
});

// lint-tests: allow under CI=true huggingFacePython throws when the venv cannot be made, so this skip is never taken there
describe.skipIf(!python)('IA³ both ways with Hugging Face PEFT (transformers + peft in a venv)', () => {
  it('@peft IA³ adapters load in PeftModel.from_pretrained without a warning: same logits, same merged logits', async () => {
    const ours = new Map<string, { logits: Float32Array; merged: Float32Array }>();
    const jobs: Record<string, unknown>[] = [];
    for (const [i, c] of OURS.entries()) {
      const arch = c.arch ?? 'gpt2';
      const model = await load(arch);
      const before = outputs(model);
      const tuned = attach(model, ia3(c.options));
      randomise(tuned.trainableVariables(), 1 + 10 * i);
      const dir = join(work, `ours-${i}`);
      await tuned.save(dir);
      const logits = outputs(model);
      expect(relDiff(logits, before), `${c.name}: the adapter changes the logits`).toBeGreaterThan(100 * TOL);
      tuned.merge();
      model.useMethod(null);
      const merged = outputs(model);
      tuned.dispose();
      model.dispose();
      ours.set(c.name, { logits, merged });
      jobs.push({ name: c.name, kind: 'load', ...base(arch), adapter_dir: dir });
    }
    const results = runPython(jobs);
    for (const c of OURS) {
      const r = results.get(c.name)!;
      expect(r.error, `${c.name}: ${r.trace}`).toBeUndefined();
      expect(r.warnings, c.name).toEqual([]);
      const { logits, merged } = ours.get(c.name)!;
      const dLogits = relDiff(logits, r.logits);
      const dMerged = relDiff(merged, r.merged_logits);
      figures.push(`  @peft → PEFT  ${c.name}: logits ${dLogits.toExponential(1)}, merged logits ${dMerged.toExponential(1)}`);
      expect(dLogits, c.name).toBeLessThan(TOL);
      expect(dMerged, c.name).toBeLessThan(TOL);
    }
    if (process.env.PEFT_WRITE_FIXTURES === '1') {
      const r = results.get(OURS[0]!.name)!;
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(join(GOLDEN, 'ours-defaults.json'), JSON.stringify({ about: 'PEFT 0.21 logits (last position) of the tiny GPT-2 with @peft ia3() defaults, vectors randomise(vars, 1) as in helpers.ts', input_ids: IDS, logits: lastPosition(r.logits) }) + '\n');
    }
  });

  it("PEFT's save_pretrained IA3 adapters import with the same logits, parameter count and merged logits", async () => {
    const jobs = THEIRS.map((c, i) => ({ name: c.name, kind: 'save', ...base(c.arch ?? 'gpt2'), config: c.config, seed: 20 + i, out_dir: join(work, `theirs-${i}`) }));
    const results = runPython(jobs);
    for (const [i, c] of THEIRS.entries()) {
      const r = results.get(c.name)!;
      expect(r.error, `${c.name}: ${r.trace}`).toBeUndefined();
      const model = await load(c.arch ?? 'gpt2');
      expect(relDiff(r.logits, outputs(model)), `${c.name}: the adapter changes the logits`).toBeGreaterThan(100 * TOL);
      const imported = await importHuggingFaceIa3(jobs[i]!.out_dir, model.spec);
      expect(imported.instance.params.count(), `${c.name}: PEFT's trainable IA3 parameters`).toBe(r.trainable);
      expect(imported.taskHead !== undefined, `${c.name}: the head of modules_to_save`).toBe(c.arch === 'roberta');
      if (imported.taskHead) {
        (model as RobertaModel).taskHead.replace(imported.taskHead.tensors, jobs[i]!.out_dir);
        tf.dispose(Object.values(imported.taskHead.tensors));
      }
      model.useMethod(imported.instance);
      const dLogits = relDiff(outputs(model), r.logits);
      imported.instance.merge(model);
      model.useMethod(null);
      const dMerged = relDiff(outputs(model), r.merged_logits);
      imported.instance.dispose();
      model.dispose();
      figures.push(`  PEFT → @peft  ${c.name}: logits ${dLogits.toExponential(1)}, merged logits ${dMerged.toExponential(1)}`);
      expect(dLogits, c.name).toBeLessThan(TOL);
      expect(dMerged, c.name).toBeLessThan(TOL);
    }
    if (process.env.PEFT_WRITE_FIXTURES === '1') {
      const dir = join(GOLDEN, 'peft-gpt2-default');
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(jobs[0]!.out_dir, ADAPTER_WEIGHTS_FILE), join(dir, ADAPTER_WEIGHTS_FILE));
      // the base model's path, relative to the repository (PEFT wrote this machine's absolute path)
      const cfg = JSON.parse(readFileSync(join(jobs[0]!.out_dir, ADAPTER_CONFIG_FILE), 'utf8'));
      writeFileSync(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify({ ...cfg, base_model_name_or_path: 'test-fixtures/tiny-gpt2' }, null, 2) + '\n');
      writeFileSync(join(GOLDEN, 'peft-gpt2-default.json'), JSON.stringify({ about: "PEFT 0.21 logits (last position) of the tiny GPT-2 with the IA3 adapter in peft-gpt2-default/ (PEFT's GPT-2 default, 1 + 0.3·N(0, 1) vectors)", input_ids: IDS, logits: lastPosition(results.get(THEIRS[0]!.name)!.logits) }) + '\n');
    }
  });
  it("PEFT's RoBERTa default (suffix 'output.dense' also hits attention.output.dense, as feedforward) is refused, naming the module", async () => {
    const dir = join(work, 'theirs-roberta-default');
    const r = runPython([{ name: 'roberta default', kind: 'save', ...base('roberta'), config: {}, seed: 40, out_dir: dir }]).get('roberta default')!;
    expect(r.error, r.trace).toBeUndefined();
    const cfg = JSON.parse(readFileSync(join(dir, ADAPTER_CONFIG_FILE), 'utf8'));
    expect(new Set(cfg.feedforward_modules)).toEqual(new Set(['output.dense']));
    const model = await tinyRoberta();
    await expect(importHuggingFaceIa3(dir, model.spec)).rejects.toThrow(/feedforward_modules.*no site scales the input of attention\.output\.dense/);
    model.dispose();
  });
});
