// @peft DoRA ↔ Hugging Face PEFT 0.21 DoRA (LoraConfig with use_dora), both ways, against the real thing: transformers
// + peft + PyTorch (CPU) in the venv test-output/hf-venv that the HF interop e2e test makes from the machine's local
// Python package index (`pip config list`); made here the same way when absent. Without that index the test says so
// and skips (outside CI; under CI=true a missing part fails).
// PEFT_WRITE_FIXTURES=1 also records golden values for CI (test/fixtures/peft-dora: PEFT's own adapters and logits,
// and PEFT's logits for @peft's adapters), which hf-peft-dora-golden.test.ts checks without Python.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attach, loadAdapter } from '@peft/core';
import { afterAll, describe, expect, it } from 'vitest';
import { dora, importHuggingFaceDora } from '../src/index.js';
import { GOLDEN_DIR, IDS, NUM_LABELS, OURS, THEIRS, TINY, goldenSample, loadBase, logitsOf, type Arch } from './interop-cases.js';
import { randomise, relDiff } from './helpers.js';
import type { RobertaModel } from '@peft/models-gpt2-roberta';
import { huggingFacePython } from '../../../test/hf-venv.js';

const SCRIPT = fileURLToPath(new URL('./hf-peft/dora_roundtrip.py', import.meta.url));
const TOL = 1e-4;

const python = huggingFacePython('hf-peft DoRA e2e');
const WRITE = process.env.PEFT_WRITE_FIXTURES === '1';

const work = mkdtempSync(join(tmpdir(), 'peft-dora-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Job { name: string; kind: 'load' | 'save'; arch: Arch; [k: string]: unknown }
interface Result { name: string; error?: string; trace?: string; logits: number[]; merged_logits: number[]; warnings?: string[] }

function runPython(jobs: Job[]): Map<string, Result> {
  const jobsFile = join(work, `jobs-${Date.now()}.json`);
  const out = join(work, `results-${Date.now()}.json`);
  writeFileSync(jobsFile, JSON.stringify(jobs));
  execFileSync(python!, [SCRIPT, jobsFile, out], { stdio: 'inherit', timeout: 600_000, env: { ...process.env, TRANSFORMERS_VERBOSITY: 'warning' } });
  return new Map((JSON.parse(readFileSync(out, 'utf8')) as Result[]).map((r) => [r.name, r]));
}

const figures: string[] = [];
afterAll(() => {
  if (figures.length) console.log(`\nHugging Face PEFT DoRA round trips (max relative difference of the logits, float32, CPU):\n${figures.join('\n')}\n`);
});

// lint-tests: allow under CI=true huggingFacePython throws when the venv cannot be made, so this skip is never taken there
describe.skipIf(!python)('DoRA both ways with Hugging Face PEFT 0.21 (transformers + peft in a venv)', () => {
  it('@peft DoRA adapters load in PeftModel.from_pretrained without a warning: same logits, same merged logits', async () => {
    const ours = new Map<string, { logits: number[]; merged: number[] }>();
    const jobs: Job[] = [];
    for (const [i, c] of OURS.entries()) {
      const model = await loadBase(c.arch);
      const base = logitsOf(model);
      const tuned = attach(model, dora(c.dora), { seed: 1 });
      logitsOf(model); // sets m = ‖W‖
      randomise(tuned.instance.params, c.salt);
      const logits = logitsOf(model);
      expect(relDiff(logits, base), `${c.name}: the adapter changes the logits`).toBeGreaterThan(100 * TOL);
      const dir = join(work, `ours-${i}`);
      await tuned.save(dir);
      tuned.merge();
      ours.set(c.name, { logits, merged: logitsOf(model) });
      tuned.dispose();
      model.dispose();
      jobs.push({ name: c.name, kind: 'load', arch: c.arch, base: TINY[c.arch], adapter_dir: dir, input_ids: IDS[c.arch], num_labels: NUM_LABELS });
    }
    const results = runPython(jobs);
    const golden: Record<string, number[]> = {};
    for (const c of OURS) {
      const r = results.get(c.name)!;
      expect(r.error, `${c.name}: ${r.trace}`).toBeUndefined();
      expect(r.warnings, c.name).toEqual([]);
      const o = ours.get(c.name)!;
      const logits = relDiff(o.logits, r.logits);
      const merged = relDiff(o.merged, r.merged_logits);
      figures.push(`  @peft → PEFT  ${c.name}: logits ${logits.toExponential(1)}, merged logits ${merged.toExponential(1)}`);
      expect(logits, c.name).toBeLessThan(TOL);
      expect(merged, c.name).toBeLessThan(TOL);
      golden[c.name] = goldenSample(r.logits);
    }
    if (WRITE) {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(join(GOLDEN_DIR, 'ours-in-peft.json'), JSON.stringify(golden) + '\n');
    }
  });

  it("PEFT's save_pretrained DoRA adapters import with the same logits and merged logits", async () => {
    const jobs: Job[] = THEIRS.map((c, i) => ({
      name: c.name, kind: 'save', arch: c.arch, base: TINY[c.arch], config: c.config, seed: 10 + i, out_dir: join(work, `theirs-${i}`), input_ids: IDS[c.arch], num_labels: NUM_LABELS,
    }));
    const results = runPython(jobs);
    for (const [i, c] of THEIRS.entries()) {
      const r = results.get(c.name)!;
      expect(r.error, `${c.name}: ${r.trace}`).toBeUndefined();
      const dir = jobs[i]!.out_dir as string;
      const model = await loadBase(c.arch);
      const base = logitsOf(model);
      const { instance, taskHead } = await importHuggingFaceDora(dir, model.spec);
      if (taskHead) {
        (model as RobertaModel).taskHead.replace(taskHead.tensors, dir);
        Object.values(taskHead.tensors).forEach((t) => t.dispose());
      }
      model.useMethod(instance);
      const logits = logitsOf(model);
      expect(relDiff(logits, base), `${c.name}: the adapter changes the logits`).toBeGreaterThan(100 * TOL);
      instance.merge(model);
      const merged = logitsOf(model);
      instance.unmerge(model);
      const dLogits = relDiff(logits, r.logits);
      const dMerged = relDiff(merged, r.merged_logits);
      figures.push(`  PEFT → @peft  ${c.name}: logits ${dLogits.toExponential(1)}, merged logits ${dMerged.toExponential(1)}`);
      expect(dLogits, c.name).toBeLessThan(TOL);
      expect(dMerged, c.name).toBeLessThan(TOL);
      // and @peft writes it back in a form PEFT's own files take: re-saved, re-loaded, the same logits
      const resaved = join(work, `theirs-resaved-${i}`);
      const { TunedModel } = await import('@peft/core');
      await new TunedModel(model, instance.method, instance).save(resaved);
      model.useMethod(null);
      const again = await loadAdapter(resaved, model);
      expect(relDiff(logitsOf(model), r.logits), c.name).toBeLessThan(TOL);
      again.dispose();
      instance.dispose();
      model.dispose();
      if (WRITE) {
        const to = join(GOLDEN_DIR, `theirs-${c.slug}`);
        mkdirSync(to, { recursive: true });
        for (const f of ['adapter_config.json', 'adapter_model.safetensors']) cpSync(join(dir, f), join(to, f));
        writeFileSync(join(to, 'peft-logits.json'), JSON.stringify({ input_ids: IDS[c.arch], logits: goldenSample(r.logits), merged_logits: goldenSample(r.merged_logits) }) + '\n');
      }
    }
  });
});
