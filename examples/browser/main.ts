/// <reference lib="dom" />
// The page: WebGL backend, the tiny GPT-2 and a LoRA adapter fetched from the server, greedy decoding.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import '@peft/lora'; // registers the 'lora' method type that the adapter file names
import { continuation, showContinuation } from './continuation.js';
import { fetchAdapter, fetchGpt2, fetchGpt2Tokenizer } from './load.js';

const PROMPT = 'the quick';

export interface PageResult {
  readonly backend: string;
  readonly prompt: string;
  readonly base: { text: string; ids: number[] };
  readonly tuned: { text: string; ids: number[] };
  readonly merged: { text: string; ids: number[] };
  readonly milliseconds: number;
}

declare global {
  interface Window {
    peftResult?: PageResult;
    peftError?: string;
  }
}

const show = (id: string, text: string): void => showContinuation(document.getElementById(id)!, PROMPT, text);

async function run(): Promise<PageResult> {
  const t0 = performance.now();
  const params = new URLSearchParams(location.search);
  const modelBase = params.get('model') ?? '/model';
  const adapterBase = params.get('adapter') ?? '/adapter';
  const maxNewTokens = Number(params.get('tokens') ?? 22);
  if (!(await tf.setBackend(params.get('backend') ?? 'webgl'))) throw new Error('the WebGL backend could not be initialised');
  await tf.ready();
  document.getElementById('backend')!.textContent = `the ${tf.getBackend()} backend`;

  const [model, tokenizer] = await Promise.all([fetchGpt2(modelBase), fetchGpt2Tokenizer(modelBase)]);
  const base = await continuation(model, tokenizer, PROMPT, maxNewTokens);
  show('base', base.text);
  const tuned = await fetchAdapter(adapterBase, model);
  const withAdapter = await continuation(model, tokenizer, PROMPT, maxNewTokens);
  show('tuned', withAdapter.text);
  tuned.merge(); // W ← W + ΔW: the same text, at the base model's cost
  const merged = await continuation(model, tokenizer, PROMPT, maxNewTokens);
  show('merged', merged.text);
  tuned.dispose();
  model.dispose();
  return { backend: tf.getBackend(), prompt: PROMPT, base, tuned: withAdapter, merged, milliseconds: performance.now() - t0 };
}

const status = document.getElementById('status')!;
run().then(
  (result) => {
    window.peftResult = result;
    status.textContent = `done in ${result.milliseconds.toFixed(0)} ms on ${result.backend}`;
    status.dataset.status = 'done';
  },
  (e: unknown) => {
    window.peftError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    status.textContent = window.peftError;
    status.dataset.status = 'error';
  },
);
