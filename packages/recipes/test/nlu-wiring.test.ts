import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { attach, trainingContext } from '@peft/core';
import { RobertaModel, loadModel, loadTokenizer } from '@peft/models-gpt2-roberta';
import { describe, expect, it } from 'vitest';
import { buildGlueInput, classifierSplit, getPreset, loadMnli, nluTrainable, type TextTokenizer } from '../src/index.js';
import { checkpointBlocksFor } from '../src/cli/checkpoint-blocks.js';

const tiny = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));
const fx = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));

describe('NLU wiring on the tiny RoBERTa fixture (nlu-inducer-lora)', () => {
  it('rematerialising layers (--checkpoint-blocks) gives the same loss and gradients, padding and dropout included', async () => {
    const model = (await loadModel(tiny, { numLabels: 3 })) as RobertaModel;
    expect(model).toBeInstanceOf(RobertaModel);
    const tok = (await loadTokenizer(tiny)) as unknown as TextTokenizer;
    const ex = loadMnli(fx('mnli-train.tsv')).slice(0, 3).map((e) => buildGlueInput(tok, e, { maxLength: 64 }));
    const batch = classifierSplit(ex, tok.tokenToId('<pad>') ?? 1, 'batch').batch([0, 1, 2]);
    expect(batch.attentionMask.some((m) => m === 0)).toBe(true); // padded rows: the λ quirk's unpadded path runs
    const tuned = attach(model, getPreset('nlu-inducer-lora').build(), { seed: 3 });
    // non-zero LoRA B, so its path carries gradient
    for (const v of tuned.trainableVariables()) v.assign(tf.tidy(() => tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 7), 0.05))));
    const run = (blocks: boolean | number) => {
      const t = nluTrainable(model, tuned, blocks);
      return tf.variableGrads(() => t.loss(batch, trainingContext(5, 2)) as tf.Scalar, t.parameters.map(([, v]) => v));
    };
    const plain = run(false);
    for (const option of [true, 1, checkpointBlocksFor(undefined, 'wasm')]) {
      const remat = run(option);
      expect(remat.value.dataSync()[0]).toBe(plain.value.dataSync()[0]!);
      for (const name of Object.keys(plain.grads)) {
        const size = tf.tidy(() => tf.max(tf.abs(plain.grads[name]!)).dataSync()[0]!);
        expect(size, name).toBeGreaterThan(0);
        const d = tf.tidy(() => tf.max(tf.abs(tf.sub(plain.grads[name]!, remat.grads[name]!))).dataSync()[0]!);
        expect(d, name).toBeLessThan(1e-6);
      }
      tf.dispose([remat.value, ...Object.values(remat.grads)]);
    }
    tf.dispose([plain.value, ...Object.values(plain.grads)]);
    tuned.dispose();
    model.dispose();
  });
});
