// LoRA on every projection and prefix-tuning on the Llama-family fixtures, both ways with Hugging Face PEFT (live, in the
// venv of hf-venv.ts): @peft's adapter files load in PeftModel.from_pretrained without a warning and give the same
// logits; PEFT's save_pretrained output imports into @peft with the same logits (within 1e-4 relative).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, attach, modelLinearSites, sinusoidal } from '@peft/core';
import { importHuggingFaceLora, lora } from '@peft/lora';
import { importHuggingFacePrefix, prefix } from '@peft/prefix';
import { loadLlama, type LlamaModel } from '@peft/models-llama';
import { pythonOrReason } from './hf-venv.js';
import { FIXTURES_ROOT, TINY_LLAMA_DIR, TINY_QWEN2_DIR } from './fixtures.js';

const SCRIPT = fileURLToPath(new URL('./hf/peft_adapters.py', import.meta.url));
const IDS = [5, 100, 200, 300, 17, 42, 9];
const TOL = 1e-4;

const { python: PYTHON, reason } = pythonOrReason();
if (reason) {
  if (process.env.CI === 'true') throw new Error(`models-llama PEFT adapters e2e: ${reason}`);
  console.warn(`SKIPPED models-llama PEFT adapters e2e: ${reason}`);
}

const work = mkdtempSync(join(tmpdir(), 'peft-llama-lora-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runPython(jobs: Record<string, unknown>[]): { logits: number[]; warnings?: string[]; error?: string; trace?: string }[] {
  const jobsFile = join(work, `jobs-${Date.now()}.json`);
  const out = join(work, `results-${Date.now()}.json`);
  writeFileSync(jobsFile, JSON.stringify(jobs));
  execFileSync(PYTHON!, [SCRIPT, jobsFile, out], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  return JSON.parse(readFileSync(out, 'utf8'));
}

function logitsOf(model: LlamaModel): number[] {
  return tf.tidy(() => Array.from(model.logits(model.forward({ inputIds: tf.tensor2d([IDS], undefined, 'int32') }).hidden).dataSync()));
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  expect(a.length).toBe(b.length);
  return d / s;
}

// lint-tests: allow under CI=true a missing venv throws above, so this skip is never taken there
describe.skipIf(reason !== undefined)('LoRA and prefix-tuning, both ways with Hugging Face PEFT', () => {
  it.each([TINY_LLAMA_DIR, TINY_QWEN2_DIR])('%s: @peft → PeftModel.from_pretrained without a warning, same logits', async (dir) => {
    const base = join(FIXTURES_ROOT, dir);
    const model = await loadLlama(base);
    const tuned = attach(model, lora({ sites: modelLinearSites(model.spec), rank: 4, alpha: 8 }), { seed: 7 });
    tuned.trainableVariables().forEach((v, k) => v.assign(tf.tensor(sinusoidal(k + 1, 0.1)(v.shape, new Rng(0)), v.shape)));
    const ours = logitsOf(model);
    const adapterDir = join(work, `ours-${dir}`);
    await tuned.save(adapterDir);
    const plain = tf.tidy(() => {
      model.useMethod(null);
      return logitsOf(model);
    });
    tuned.dispose();
    model.dispose();
    const config = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, fan_in_fan_out: false });
    const [r] = runPython([{ kind: 'load', base, adapter_dir: adapterDir, input_ids: IDS }]);
    expect(r!.error, r!.trace).toBeUndefined();
    expect(r!.warnings).toEqual([]);
    expect(relDiff(ours, plain)).toBeGreaterThan(1e-2); // the adapter changes the logits
    const d = relDiff(ours, r!.logits);
    console.log(`${dir}: @peft → PEFT LoRA logits max relative difference ${d.toExponential(2)}`);
    expect(d).toBeLessThan(TOL);
  });

  it.each([TINY_LLAMA_DIR, TINY_QWEN2_DIR])('%s: PEFT save_pretrained → importHuggingFaceLora, same logits', async (dir) => {
    const base = join(FIXTURES_ROOT, dir);
    const outDir = join(work, `theirs-${dir}`);
    const [r] = runPython([{ kind: 'save', base, out_dir: outDir, input_ids: IDS, seed: 3 }]);
    expect(r!.error, r!.trace).toBeUndefined();
    const model = await loadLlama(base);
    const imported = await importHuggingFaceLora(outDir, model.spec);
    model.useMethod(imported.instance);
    const ours = logitsOf(model);
    imported.instance.dispose();
    model.dispose();
    const d = relDiff(ours, r!.logits);
    console.log(`${dir}: PEFT → @peft LoRA logits max relative difference ${d.toExponential(2)}`);
    expect(d).toBeLessThan(TOL);
  });

  it.each([TINY_LLAMA_DIR, TINY_QWEN2_DIR])('%s: prefix-tuning (keys after the rotation, positions shifted by L) both ways, same logits', async (dir) => {
    const base = join(FIXTURES_ROOT, dir);
    const model = await loadLlama(base);
    const tuned = attach(model, prefix({ length: 3, reparameterize: false }), { seed: 2 });
    tuned.trainableVariables().forEach((v, k) => v.assign(tf.tensor(sinusoidal(k + 1, 0.5)(v.shape, new Rng(0)), v.shape)));
    const ours = logitsOf(model);
    const oursDir = join(work, `ours-prefix-${dir}`);
    await tuned.save(oursDir);
    tuned.dispose();
    const theirsDir = join(work, `theirs-prefix-${dir}`);
    const [load, save] = runPython([
      { kind: 'load', base, adapter_dir: oursDir, input_ids: IDS },
      { kind: 'save', method: 'prefix', length: 4, base, out_dir: theirsDir, input_ids: IDS, seed: 5, scale: 0.5 },
    ]);
    expect(load!.error, load!.trace).toBeUndefined();
    expect(load!.warnings).toEqual([]);
    expect(save!.error, save!.trace).toBeUndefined();
    const forward = relDiff(ours, load!.logits);
    const imported = await importHuggingFacePrefix(theirsDir, model.spec);
    model.useMethod(imported.instance);
    const reverse = relDiff(logitsOf(model), save!.logits);
    imported.instance.dispose();
    model.dispose();
    console.log(`${dir}: prefix logits max relative difference @peft → PEFT ${forward.toExponential(2)}, PEFT → @peft ${reverse.toExponential(2)}`);
    expect(forward).toBeLessThan(TOL);
    expect(reverse).toBeLessThan(TOL);
  });
});
