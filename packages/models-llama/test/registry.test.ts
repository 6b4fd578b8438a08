import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeModelFolder, isCausalLm, lmLoss, loadModelFolder, loadTokenizerFolder, registeredModelTypes } from '@peft/models-base';
import { LlamaModel } from '@peft/models-llama';
import { FIXTURES_ROOT, TINY_LLAMA_DIR, TINY_QWEN2_DIR } from './fixtures.js';
import { readReference } from './reference.js';

const reference = readReference();
const TASK_TOKENS = ['<pad>', '<|task_a|>', '<|task_b|>'];

describe('the model registry of @peft/models-base (what the recipes load folders with)', () => {
  it('knows llama, qwen2 and mistral once the package is imported', () => {
    expect(registeredModelTypes()).toEqual(expect.arrayContaining(['llama', 'qwen2', 'mistral']));
  });

  it.each([TINY_LLAMA_DIR, TINY_QWEN2_DIR])('%s: described from config.json alone as the loaded model describes itself', async (dir) => {
    const folder = join(FIXTURES_ROOT, dir);
    const described = await describeModelFolder(folder);
    const model = await loadModelFolder(folder);
    try {
      expect(model).toBeInstanceOf(LlamaModel);
      expect(isCausalLm(model)).toBe(true);
      expect(described).toMatchObject({ kind: 'causal-lm', modelType: model.architecture, positionLimit: { field: 'max_position_embeddings' } });
      expect(described.spec).toEqual(model.spec);
      expect(described.baseParameterCount).toBe(reference.fixtures[dir]!.parameters);
    } finally {
      model.dispose();
    }
  });

  it.each([TINY_LLAMA_DIR, TINY_QWEN2_DIR])('%s: task tokens get the same ids in the tokenizer and the model, and their rows train', async (dir) => {
    const folder = join(FIXTURES_ROOT, dir);
    const model = await loadModelFolder(folder);
    if (!isCausalLm(model)) throw new Error('not a causal LM');
    const tok = await loadTokenizerFolder(folder);
    try {
      // the recipes' view encodes text as it is: no <|begin_of_text|>
      const sample = reference.fixtures[dir]!.tokens[0]!;
      expect(tok.encode(sample.text)).toEqual(sample.plain);
      const before = model.vocabSize;
      expect(tok.addSpecialTokens(TASK_TOKENS)).toBe(3);
      expect(tok.addSpecialTokens(TASK_TOKENS)).toBe(0);
      const ids = model.addSpecialTokens(TASK_TOKENS.length, { trainable: true, seed: 4 });
      expect(ids).toEqual([before, before + 1, before + 2]);
      expect(TASK_TOKENS.map((t) => tok.tokenToId(t))).toEqual(ids);
      expect(tok.encode('a <|task_b|> b')).toContain(ids[2]);
      expect(tok.decode([ids[1]!, 300], { skipSpecialTokens: true })).toBe(tok.decode([300]));
      const rows = model.extraTrainables();
      expect(rows.names()).toEqual(dir === TINY_LLAMA_DIR ? ['wte.added_rows'] : ['embed_tokens.added_rows', 'lm_head.added_rows']);
      const input = tf.tensor2d([[ids[1]!, 17, 300, ids[2]!, 9]], undefined, 'int32');
      const labels = tf.tensor2d([[-100, 17, 300, ids[2]!, 9]], undefined, 'int32');
      const { value, grads } = tf.variableGrads(() => lmLoss(model, model.forward({ inputIds: input }).hidden, labels), rows.variables());
      for (const v of rows.variables()) expect(tf.norm(grads[v.name]!).dataSync()[0], v.name).toBeGreaterThan(1e-6);
      tf.dispose([input, labels, value, ...Object.values(grads)]);
    } finally {
      model.dispose();
    }
  });
});
