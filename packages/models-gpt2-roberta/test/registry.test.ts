import '@peft/core'; // registers tfjs-core's gradients
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchitectureMismatchError, describeModelFolder, isCausalLm, isClassifier, loadModelFolder, loadTokenizerFolder, registeredModelTypes } from '@peft/models-base';
import '@peft/models-gpt2-roberta'; // registers GPT-2 and RoBERTa folders
import { TINY_GPT2, TINY_ROBERTA } from './helpers.js';

describe('the model registry, with GPT-2 and RoBERTa registered by importing their package', () => {
  it('describes, loads and tokenises a folder by its model_type, as the model\'s kind', async () => {
    expect(registeredModelTypes()).toEqual(expect.arrayContaining(['gpt2', 'roberta']));
    const g = await describeModelFolder(TINY_GPT2);
    expect(g).toMatchObject({ modelType: 'gpt2', kind: 'causal-lm', positionLimit: { field: 'n_positions' } });
    expect(g.spec).toMatchObject({ architecture: 'gpt2', numLayers: 2, hiddenSize: 32, pastShiftsPositions: true });
    const r = await describeModelFolder(TINY_ROBERTA);
    expect(r).toMatchObject({ modelType: 'roberta', kind: 'classifier', positionLimit: { field: 'max_position_embeddings' } });
    const model = await loadModelFolder(TINY_GPT2);
    try {
      expect(isCausalLm(model) && model.takesTokenTypeIds).toBe(true);
      expect(model.spec).toEqual(g.spec);
      expect(model.baseParameterCount()).toBe(g.baseParameterCount);
      expect(model.positionLimit).toEqual(g.positionLimit);
    } finally {
      model.dispose();
    }
    const classifier = await loadModelFolder(TINY_ROBERTA, { numLabels: 3, seed: 1 });
    try {
      expect(isClassifier(classifier) && classifier.numLabels).toBe(3);
    } finally {
      classifier.dispose();
    }
    const tok = await loadTokenizerFolder(TINY_GPT2);
    expect(tok.encode('hello').length).toBeGreaterThan(0);
  });

  it('refuses a model_type no package registered, naming the ones that are', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peft-registry-'));
    try {
      await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'no-such-model' }));
      const err = await loadModelFolder(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchitectureMismatchError);
      expect((err as Error).message).toMatch(/model_type is 'no-such-model', expected one of .*'gpt2'.*'roberta'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
