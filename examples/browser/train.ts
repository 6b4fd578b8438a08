/// <reference lib="dom" />
// The training page: WebGPU (WebGL where the browser has no WebGPU adapter), the tiny GPT-2 fetched from the server,
// a LoRA trained in the tab with a live loss chart, greedy decoding before and after, and the adapter as downloads.
// Page parameters (all optional): backend=webgpu|webgl, steps, lr, text (lines split by \n), prompt, tokens, model.
import * as tf from '@tensorflow/tfjs-core';
import type { TunedModel } from '@peft/core';
import type { Gpt2Model, Gpt2Tokenizer } from '@peft/models-gpt2-roberta';
import { offerAdapter } from './adapter-download.js';
import { continuation, showContinuation, type Continuation } from './continuation.js';
import { PAGE_LORA, checkFineTuneSettings, fineTune } from './fine-tune.js';
import { fetchGpt2, fetchGpt2Tokenizer } from './load.js';
import { LossChart } from './loss-chart.js';
import { PAGE_BACKENDS, pickBackend, type BackendChoice, type PageBackend } from './pick-backend.js';

export interface TrainRunResult {
  readonly lines: string[];
  readonly steps: number;
  readonly lr: number;
  readonly method: string;
  readonly trainableParameters: number;
  /** Training loss of each step. */
  readonly losses: number[];
  readonly prompt: string;
  readonly base: Continuation;
  readonly tuned: Continuation;
  /** Logits [n, V] (row-major) of the first line's tokens through the trained model, for comparison with Node. */
  readonly probe: { ids: number[]; vocabSize: number; logits: number[] };
  /** adapter_config.json as offered for download (its bytes are in the download). */
  readonly configText: string;
  readonly weightsBytes: number;
  readonly trainMilliseconds: number;
}

export interface TrainPageResult extends TrainRunResult {
  readonly backend: PageBackend;
  readonly device: string;
  readonly software: boolean;
  readonly skipped: readonly string[];
  readonly loadMilliseconds: number;
}

declare global {
  interface Window {
    peftTrain?: TrainPageResult;
    peftError?: string;
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = $('status');
const chart = new LossChart($('chart'), Math.min(640, $('chart').clientWidth || 640));

function setStatus(text: string, state: 'loading' | 'training' | 'done' | 'error'): void {
  status.textContent = text;
  status.dataset.status = state;
}

/** Lets the browser paint (the chart, the status) between two training steps; not throttled in a background tab. */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** Waits until the page has painted (the status before a long synchronous generation); no wait in a hidden tab. */
async function nextPaint(): Promise<void> {
  if (document.visibilityState === 'visible') await new Promise((resolve) => requestAnimationFrame(resolve));
  await yieldToBrowser();
}

async function logitsOf(model: Gpt2Model, ids: number[]): Promise<number[]> {
  const logits = tf.tidy(() => {
    const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
    return model.logits(model.forward({ inputIds }).hidden); // [1, n, V]
  });
  try {
    return Array.from(await logits.data());
  } finally {
    logits.dispose();
  }
}

interface RunSettings {
  readonly lines: string[];
  readonly prompt: string;
  readonly steps: number;
  readonly lr: number;
  readonly maxNewTokens?: number;
}

/** New tokens to generate: the rest of the first line after the prompt when the line starts with it, else 20. */
function newTokens(tokenizer: Gpt2Tokenizer, s: RunSettings): number {
  if (s.maxNewTokens !== undefined) return s.maxNewTokens;
  const first = s.lines[0] ?? '';
  return first.startsWith(s.prompt) ? Math.max(1, tokenizer.encode(first).length - tokenizer.encode(s.prompt).length) : 20;
}

/** One training run on `model` (which has no method attached); returns the adapter, still attached. */
async function trainRun(model: Gpt2Model, tokenizer: Gpt2Tokenizer, s: RunSettings): Promise<{ result: TrainRunResult; tuned: TunedModel<Gpt2Model> }> {
  checkFineTuneSettings(s);
  const maxNew = newTokens(tokenizer, s);
  setStatus('generating with the base model (the first run also compiles the GPU programs)…', 'loading');
  await nextPaint();
  const base = await continuation(model, tokenizer, s.prompt, maxNew);
  showContinuation($('base'), s.prompt, base.text);
  $('tuned').replaceChildren();
  chart.clear();
  const t0 = performance.now();
  const { tuned, losses } = await fineTune(model, tokenizer, {
    ...PAGE_LORA,
    lines: s.lines,
    steps: s.steps,
    lr: s.lr,
    onStep: async (log) => {
      chart.add(log.step, log.loss);
      setStatus(`training: step ${log.step} of ${s.steps}, loss ${log.loss.toFixed(4)} (${(log.seconds * 1000).toFixed(0)} ms a step)`, 'training');
      await yieldToBrowser();
    },
  });
  try {
    return { tuned, result: await afterTraining(model, tokenizer, s, { tuned, losses, base, maxNew, trainMilliseconds: performance.now() - t0 }) };
  } catch (e) {
    tuned.dispose(); // back to the base model for the next run
    throw e;
  }
}

/** Generation with the trained adapter, the downloads, and the run's numbers. */
async function afterTraining(
  model: Gpt2Model,
  tokenizer: Gpt2Tokenizer,
  s: RunSettings,
  run: { tuned: TunedModel<Gpt2Model>; losses: number[]; base: Continuation; maxNew: number; trainMilliseconds: number },
): Promise<TrainRunResult> {
  const { tuned, maxNew } = run;
  setStatus('generating with the trained adapter…', 'training');
  await nextPaint();
  const tunedText = await continuation(model, tokenizer, s.prompt, maxNew);
  showContinuation($('tuned'), s.prompt, tunedText.text);
  const files = await tuned.toBytes();
  offerAdapter(files, {
    config: $<HTMLAnchorElement>('download-config'),
    weights: $<HTMLAnchorElement>('download-weights'),
    metadata: $<HTMLAnchorElement>('download-metadata'),
  });
  const table = tuned.trainableParameters();
  $('method').textContent = `${tuned.method.describe()}: ${table.total} trainable parameters (${table.percentOfBase.toFixed(2)}% of the model). Save both files into one folder:`;
  const probeIds = tokenizer.encode(s.lines[0]!);
  return {
    lines: s.lines,
    steps: s.steps,
    lr: s.lr,
    method: tuned.method.describe(),
    trainableParameters: table.total,
    losses: run.losses,
    prompt: s.prompt,
    base: run.base,
    tuned: tunedText,
    probe: { ids: probeIds, vocabSize: model.vocabSize, logits: await logitsOf(model, probeIds) },
    configText: files.configText,
    weightsBytes: files.weights.byteLength,
    trainMilliseconds: run.trainMilliseconds,
  };
}

function settingsFromForm(): RunSettings {
  return {
    lines: $<HTMLTextAreaElement>('text').value.split('\n').map((l) => l.trim()).filter((l) => l !== ''),
    prompt: $<HTMLInputElement>('prompt').value,
    steps: Number($<HTMLInputElement>('steps').value),
    lr: Number($<HTMLInputElement>('lr').value),
  };
}

/** Page parameters fill the form (so a link can say what to train), then the form is read back. */
function settingsFromPage(params: URLSearchParams): RunSettings {
  const fields: Record<string, string> = { text: 'text', prompt: 'prompt', steps: 'steps', lr: 'lr' };
  for (const [param, id] of Object.entries(fields)) {
    const value = params.get(param);
    if (value !== null) $<HTMLInputElement | HTMLTextAreaElement>(id).value = value;
  }
  const tokens = params.get('tokens');
  return { ...settingsFromForm(), ...(tokens === null ? {} : { maxNewTokens: Number(tokens) }) };
}

function showBackend(choice: BackendChoice): void {
  $('backend').textContent = choice.backend === 'webgpu' ? 'WebGPU' : 'WebGL (no WebGPU here)';
  $('runs-on').dataset.backend = choice.backend;
  $('device').textContent = `${choice.device}${choice.software ? ' — software on the CPU, so expect CPU speed' : ''}`;
  $('skipped').textContent = choice.skipped.length ? `skipped: ${choice.skipped.join('; ')}` : '';
}

function failed(e: unknown): void {
  window.peftError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  setStatus(window.peftError, 'error');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const params = new URLSearchParams(location.search);
  const forced = params.get('backend');
  if (forced !== null && !PAGE_BACKENDS.includes(forced as PageBackend)) throw new Error(`backend=${forced}: expected one of ${PAGE_BACKENDS.join(', ')}`);
  const choice = await pickBackend(forced === null ? PAGE_BACKENDS : [forced as PageBackend]);
  showBackend(choice);
  const modelBase = params.get('model') ?? '/model';
  const [model, tokenizer] = await Promise.all([fetchGpt2(modelBase), fetchGpt2Tokenizer(modelBase)]);
  const loadMilliseconds = performance.now() - t0;

  let tuned: TunedModel<Gpt2Model> | undefined;
  const run = async (s: RunSettings): Promise<void> => {
    $<HTMLButtonElement>('train').disabled = true;
    try {
      tuned?.dispose(); // the previous adapter: back to the base model
      tuned = undefined;
      const out = await trainRun(model, tokenizer, s);
      tuned = out.tuned;
      window.peftTrain = { ...choice, ...out.result, loadMilliseconds };
      window.peftError = undefined;
      const last = out.result.losses.at(-1)!;
      setStatus(
        `done: ${s.steps} steps in ${(out.result.trainMilliseconds / 1000).toFixed(1)} s on ${choice.backend}, loss ${out.result.losses[0]!.toFixed(3)} → ${last.toFixed(3)}`,
        'done',
      );
    } finally {
      $<HTMLButtonElement>('train').disabled = false;
    }
  };
  $('form').addEventListener('submit', (event) => {
    event.preventDefault();
    run(settingsFromForm()).catch(failed);
  });
  await run(settingsFromPage(params));
}

main().catch(failed);
