// Example 4: an adapter's life cycle. Teach GPT-2 one sentence with LoRA, save the adapter (a few kB, never the
// base weights), load it into a fresh model, merge it into the frozen weights and generate greedily.
//   cd examples/04-save-load-merge-generate && npx tsx index.ts [adapter-dir]
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { attach, loadAdapter, selectBackend } from '@peft/core';
import { lora } from '@peft/lora'; // importing @peft/lora also registers the 'lora' type that loadAdapter looks up
import { generateGreedy, lmLoss, loadGpt2, loadGpt2Tokenizer, type Gpt2Model, type Gpt2Tokenizer } from '@peft/models-gpt2-roberta';

export const TINY_GPT2 = fileURLToPath(new URL('../../test-fixtures/tiny-gpt2', import.meta.url));
export const SENTENCE = 'the quick brown fox jumps over the lazy dog';
export const PROMPT = 'the quick';

export interface LifeCycleResult {
  readonly adapterDir: string;
  readonly files: Record<string, number>;
  /** Continuations of PROMPT: base model, trained, reloaded (hooks), reloaded and merged, merged with no method. */
  readonly texts: { base: string; trained: string; reloaded: string; merged: string; mergedPlain: string };
  readonly tokens: { reloaded: number[]; merged: number[] };
  /** Largest |logit| difference between the reloaded adapter's hooks and the merged weights. */
  readonly mergeDelta: number;
}

async function continuation(model: Gpt2Model, tokenizer: Gpt2Tokenizer, maxNewTokens: number): Promise<{ text: string; ids: number[] }> {
  const ids = (await generateGreedy(model, { inputIds: [tokenizer.encode(PROMPT)], maxNewTokens })).tokens[0]!;
  return { text: tokenizer.decode(ids), ids };
}

export async function main(options: { modelDir?: string; adapterDir?: string; steps?: number; log?: (line: string) => void } = {}): Promise<LifeCycleResult> {
  const log = options.log ?? console.log;
  await selectBackend();
  const modelDir = options.modelDir ?? TINY_GPT2;
  const adapterDir = options.adapterDir ?? join(await mkdtemp(join(tmpdir(), 'peft-lora-')), 'adapter');
  const tokenizer = await loadGpt2Tokenizer(modelDir);
  const target = tokenizer.encode(SENTENCE);
  const newTokens = target.length - tokenizer.encode(PROMPT).length;

  // 1. Train: LoRA on W_q and W_v, Adam on the factors only, until the model has learnt the sentence.
  const model = await loadGpt2(modelDir);
  const base = await continuation(model, tokenizer, newTokens);
  log(`base model:      "${PROMPT}" → "${base.text}"`);
  const tuned = attach(model, lora({ sites: ['attn.q', 'attn.v'], rank: 8, alpha: 16 }), { seed: 7 });
  const inputIds = tf.tensor2d([target], [1, target.length], 'int32');
  const loss = (): tf.Scalar => tf.tidy(() => lmLoss(model, model.forward({ inputIds }).hidden, inputIds));
  const optimizer = tf.train.adam(0.05);
  for (let step = 0; step < (options.steps ?? 100); step++) optimizer.minimize(loss, false, tuned.trainableVariables());
  optimizer.dispose();
  const finalLoss = tf.tidy(() => loss().dataSync()[0]!);
  inputIds.dispose();
  const trained = await continuation(model, tokenizer, newTokens);
  log(`after training:  "${PROMPT}" → "${trained.text}" (loss ${finalLoss.toFixed(4)})`);

  // 2. Save: adapter_config.json (Hugging Face PEFT's LoraConfig) + adapter_model.safetensors (HF PEFT keys) + peft_tfjs.json (method, config, model shape).
  await tuned.save(adapterDir);
  const files: Record<string, number> = {};
  for (const f of await readdir(adapterDir)) files[f] = (await stat(join(adapterDir, f))).size;
  log(`saved ${adapterDir}: ${Object.entries(files).map(([f, n]) => `${f} (${n} B)`).join(', ')}`);
  tuned.dispose();
  model.dispose();

  // 3. Load into a fresh model: the method is rebuilt from the file and its hooks installed.
  const fresh = await loadGpt2(modelDir);
  const reloadedTuned = await loadAdapter(adapterDir, fresh);
  const reloaded = await continuation(fresh, tokenizer, newTokens);
  log(`reloaded:        "${PROMPT}" → "${reloaded.text}"`);

  // 4. Merge: W ← W + (α/r)·Aᵀ·Bᵀ in the frozen weights; the hooks then add nothing, decoding costs what the base does.
  const probe = tf.tensor2d([target], [1, target.length], 'int32');
  const logits = (): tf.Tensor => tf.tidy(() => fresh.logits(fresh.forward({ inputIds: probe }).hidden));
  const hooked = logits();
  reloadedTuned.merge();
  const mergeDelta = tf.tidy(() => tf.max(tf.abs(tf.sub(logits(), hooked))).dataSync()[0]!);
  const merged = await continuation(fresh, tokenizer, newTokens);
  log(`merged:          "${PROMPT}" → "${merged.text}" (max |Δlogit| vs. hooks ${mergeDelta.toExponential(1)})`);
  fresh.useMethod(null); // the merged weights alone, no method attached
  const mergedPlain = await continuation(fresh, tokenizer, newTokens);
  log(`merged, no hooks: "${PROMPT}" → "${mergedPlain.text}"`);

  tf.dispose([probe, hooked]);
  reloadedTuned.instance.dispose();
  fresh.dispose();
  return {
    adapterDir,
    files,
    texts: { base: base.text, trained: trained.text, reloaded: reloaded.text, merged: merged.text, mergedPlain: mergedPlain.text },
    tokens: { reloaded: reloaded.ids, merged: merged.ids },
    mergeDelta,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main({ adapterDir: process.argv[2] });
