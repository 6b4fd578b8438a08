import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { attach, loadAdapter, trainingContext } from '@peft/core';
import { Gpt2Model, loadModel, loadTokenizer } from '@peft/models-gpt2-roberta';
import { describe, expect, it } from 'vitest';
import {
  addTaskTokens, buildWebnlgSequence, nlgTrainable, decodePrompts, getPreset, lmSplit, loadTaskEmbeddings, loadWebnlgJson, NLG_ADAMW, padId,
  perplexity, saveTaskEmbeddings, STOP_TOKENS, trainLoop, constantSchedule, type NlgTokenizer,
} from '../src/index.js';
import { checkpointBlocksFor } from '../src/cli/checkpoint-blocks.js';

const tiny = fileURLToPath(new URL('../../../test-fixtures/tiny-gpt2', import.meta.url));
const fx = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));

describe('NLG wiring on the tiny GPT-2 fixture (inducer + LoRA)', () => {
  it('rematerialising blocks (--checkpoint-blocks) gives the same loss and gradients; the default follows the backend', async () => {
    expect(checkpointBlocksFor(undefined, 'wasm')).toBe(true);
    expect(checkpointBlocksFor(undefined, 'tensorflow')).toBe(false);
    expect(checkpointBlocksFor('none', 'wasm')).toBe(false);
    expect(checkpointBlocksFor(1, 'tensorflow')).toBe(1);
    const model = (await loadModel(tiny)) as Gpt2Model;
    const tok = (await loadTokenizer(tiny)) as unknown as NlgTokenizer;
    addTaskTokens(model, tok, 1);
    const ex = loadWebnlgJson(fx('webnlg-mini.json')).map((e) => buildWebnlgSequence(tok, e.triples, e.target));
    const batch = lmSplit(ex, padId(tok), 'global').batch([0, 1]);
    const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 3 });
    const run = (blocks: boolean | number) => {
      const t = nlgTrainable(model, tuned, 0.1, blocks);
      return tf.variableGrads(() => t.loss(batch, trainingContext(5, 2)) as tf.Scalar, t.parameters.map(([, v]) => v));
    };
    const plain = run(false);
    const remat = run(true);
    expect(remat.value.dataSync()[0]).toBeCloseTo(plain.value.dataSync()[0]!, 6);
    for (const name of Object.keys(plain.grads)) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(plain.grads[name]!, remat.grads[name]!))).dataSync()[0]!);
      expect(d, name).toBeLessThan(1e-6);
    }
    tf.dispose([plain.value, remat.value, ...Object.values(plain.grads), ...Object.values(remat.grads)]);
    tuned.dispose();
    model.dispose();
  });

  it('trains with a stable tensor count (step 2 = step 12; the 10-vs-100 check runs on the tiny pure-tfjs LM in loop.test.ts), saves and reloads the adapter and task rows exactly', async () => {
    const model = (await loadModel(tiny)) as Gpt2Model;
    expect(model).toBeInstanceOf(Gpt2Model);
    const tok = (await loadTokenizer(tiny)) as unknown as NlgTokenizer;
    addTaskTokens(model, tok, 1);
    const ex = loadWebnlgJson(fx('webnlg-mini.json')).map((e) => buildWebnlgSequence(tok, e.triples, e.target));
    const split = lmSplit(ex, padId(tok), 'global');
    const tuned = attach(model, getPreset('inducer-lora').build(), { seed: 3 });
    const trainable = nlgTrainable(model, tuned, 0.1);
    expect(trainable.parameters.some(([n]) => n === 'wte.added_rows')).toBe(true);
    const counts = new Map<number, number>();
    const losses: number[] = [];
    await trainLoop({
      trainable, data: split, seed: 5, epochs: 1000, maxSteps: 12, batchSize: 3, optimizer: NLG_ADAMW,
      schedule: () => constantSchedule(3e-2), maxGradNorm: 1,
      onStep: (l) => { counts.set(l.step, tf.memory().numTensors); losses.push(l.loss); },
    });
    expect(counts.get(12)).toBe(counts.get(2));
    expect(losses.slice(-3).reduce((a, b) => a + b)).toBeLessThan(losses.slice(0, 3).reduce((a, b) => a + b)); // the same 3 examples every step
    const ppl = await perplexity(model, split, 2);
    expect(ppl.value).toBeGreaterThan(1);
    expect(Number.isFinite(ppl.value)).toBe(true);
    const prompts = loadWebnlgJson(fx('webnlg-mini.json')).slice(0, 2).map((e) => buildWebnlgSequence(tok, e.triples, [], false));
    const hyps = await decodePrompts(model, tok, prompts, STOP_TOKENS.webnlg, { maxNewTokens: 5 });
    expect(hyps.length).toBe(2);

    const dir = mkdtempSync(join(tmpdir(), 'peft-nlg-'));
    try {
      await tuned.save(dir);
      await saveTaskEmbeddings(model, dir);
      const want = Object.fromEntries(trainable.parameters.map(([n, v]) => [n, v.dataSync().slice()]));
      const before = tf.memory().numTensors;
      // a fresh model: the adapter and the task rows come back bit for bit and give the same perplexity
      const other = (await loadModel(tiny)) as Gpt2Model;
      const tok2 = (await loadTokenizer(tiny)) as unknown as NlgTokenizer;
      addTaskTokens(other, tok2, 99);
      expect(await loadTaskEmbeddings(other, dir)).toBe(true);
      const loaded = await loadAdapter(dir, other);
      const got = [...loaded.instance.params.entries(), ...other.extraTrainables().entries()];
      for (const [n, v] of got) expect(Buffer.from((v.dataSync() as Float32Array).buffer).equals(Buffer.from((want[n] as Float32Array).buffer))).toBe(true);
      expect((await perplexity(other, split, 2)).value).toBeCloseTo(ppl.value, 4);
      loaded.dispose();
      other.dispose();
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      tuned.dispose();
      model.dispose();
    }
  }, 300_000);
});
