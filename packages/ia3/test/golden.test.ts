import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attach } from '@peft/core';
import { ia3, importHuggingFaceIa3 } from '../src/index.js';
import { IDS, logitsOf, randomise, relDiff, tinyGpt2 } from './helpers.js';

// Golden values that hf-peft-ia3.e2e.test.ts recorded with Hugging Face PEFT 0.21 (PEFT_WRITE_FIXTURES=1): the
// interop checks of that test, kept in CI without Python.
const golden = (name: string): { input_ids: number[]; logits: number[] } =>
  JSON.parse(readFileSync(new URL(`./golden/${name}.json`, import.meta.url), 'utf8'));
const lastPosition = (logits: ArrayLike<number>): number[] => Array.from(logits).slice(-(logits.length / IDS.length));

describe('IA³ against golden values from Hugging Face PEFT 0.21', () => {
  it("an adapter PEFT's save_pretrained wrote (GPT-2 default: c_attn, mlp.c_proj feedforward) imports with PEFT's logits", async () => {
    const want = golden('peft-gpt2-default');
    expect(want.input_ids).toEqual(IDS);
    const model = await tinyGpt2();
    const imported = await importHuggingFaceIa3(new URL('./golden/peft-gpt2-default', import.meta.url).pathname, model.spec);
    expect(imported.method.config.targets).toEqual(['attn.q', 'attn.k', 'attn.v', 'ffn.act']);
    model.useMethod(imported.instance);
    expect(relDiff(lastPosition(logitsOf(model)), want.logits)).toBeLessThan(1e-4);
    imported.instance.dispose();
    model.dispose();
  });

  it('PEFT loading @peft’s default IA³ adapter gave the logits @peft computes', async () => {
    const want = golden('ours-defaults');
    const model = await tinyGpt2();
    const tuned = attach(model, ia3());
    randomise(tuned.trainableVariables(), 1);
    const ours = lastPosition(logitsOf(model));
    expect(relDiff(ours, want.logits)).toBeLessThan(1e-4);
    tuned.dispose();
    model.dispose();
  });
});
