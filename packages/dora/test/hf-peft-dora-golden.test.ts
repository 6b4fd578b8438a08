// DoRA against Hugging Face PEFT 0.21 without Python: the values an `npm run e2e` run recorded
// (PEFT_WRITE_FIXTURES=1 npx vitest run --config vitest.e2e.config.ts packages/dora/test/hf-peft-dora.e2e.test.ts):
// PEFT's logits for the adapters @peft writes, and adapters PEFT's save_pretrained wrote with PEFT's logits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attach } from '@peft/core';
import type { RobertaModel } from '@peft/models-gpt2-roberta';
import { describe, expect, it } from 'vitest';
import { dora, importHuggingFaceDora } from '../src/index.js';
import { randomise, relDiff } from './helpers.js';
import { GOLDEN_DIR, OURS, THEIRS, goldenSample, loadBase, logitsOf } from './interop-cases.js';

const TOL = 1e-4;
const oursInPeft = JSON.parse(readFileSync(join(GOLDEN_DIR, 'ours-in-peft.json'), 'utf8')) as Record<string, number[]>;

describe('DoRA against values recorded from Hugging Face PEFT 0.21', () => {
  it.each(OURS)('@peft → PEFT: $name gives the logits PEFT computed from its file', async (c) => {
    const model = await loadBase(c.arch);
    const base = goldenSample(logitsOf(model));
    const tuned = attach(model, dora(c.dora), { seed: 1 });
    logitsOf(model);
    randomise(tuned.instance.params, c.salt);
    const ours = goldenSample(logitsOf(model));
    const want = oursInPeft[c.name];
    expect(want, `no recorded values for '${c.name}'`).toBeDefined();
    expect(relDiff(want!, base)).toBeGreaterThan(100 * TOL); // the adapter moves the logits well beyond the tolerance
    expect(relDiff(ours, want!)).toBeLessThan(TOL);
    tuned.dispose();
    model.dispose();
  });

  it.each(THEIRS)('PEFT → @peft: $name imports with the logits and merged logits PEFT computed', async (c) => {
    const dir = join(GOLDEN_DIR, `theirs-${c.slug}`);
    const want = JSON.parse(readFileSync(join(dir, 'peft-logits.json'), 'utf8')) as { logits: number[]; merged_logits: number[] };
    const model = await loadBase(c.arch);
    const base = goldenSample(logitsOf(model));
    const { instance, taskHead } = await importHuggingFaceDora(dir, model.spec);
    if (taskHead) {
      (model as RobertaModel).taskHead.replace(taskHead.tensors, dir);
      Object.values(taskHead.tensors).forEach((t) => t.dispose());
    }
    model.useMethod(instance);
    expect(relDiff(want.logits, base)).toBeGreaterThan(100 * TOL);
    expect(relDiff(goldenSample(logitsOf(model)), want.logits)).toBeLessThan(TOL);
    instance.merge(model);
    expect(relDiff(goldenSample(logitsOf(model)), want.merged_logits)).toBeLessThan(TOL);
    instance.unmerge(model);
    model.useMethod(null);
    instance.dispose();
    model.dispose();
  });
});
