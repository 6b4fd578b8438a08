// The training page in headless Chromium without a GPU: WebGPU on SwiftShader's software Vulkan device, and the WebGL
// fallback with WebGPU off. In each, the page must train (the loss falls, step for step as in Node), and the adapter
// it offers as two downloads must load in Node onto the tiny GPT-2 and give the page's outputs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, loadAdapter } from '@peft/core';
import '@peft/lora'; // registers the 'lora' type the adapter file names
import { generateGreedy, loadGpt2, loadGpt2Tokenizer } from '@peft/models-gpt2-roberta';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SENTENCE, TINY_GPT2 } from '../04-save-load-merge-generate/index.js';
import { PAGE_LORA, fineTune } from './fine-tune.js';
import { startPageServer, type PageServer } from './index.js';
import type { TrainPageResult } from './train.js';

tf.env().set('IS_TEST', false); // see examples/04-save-load-merge-generate/index.test.ts

const CHROMIUM = '/usr/bin/chromium';
const outDir = fileURLToPath(new URL('../../test-output/browser-train/', import.meta.url));

const COMMON_FLAGS = [
  '--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];
/**
 * WebGPU without a GPU: --enable-unsafe-webgpu exposes SwiftShader's fallback adapter (Chromium 156 refuses it
 * otherwise), and ANGLE must run on the same SwiftShader Vulkan device: tfjs reads GPU data synchronously (dataSync,
 * used by the loss, clipping and greedy decoding) through a canvas, which reads zeros and loses the device when WebGL
 * runs elsewhere (--use-angle=swiftshader, the default).
 */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=vulkan'];
/** WebGPU off, WebGL on SwiftShader through ANGLE (as the generation test). */
const WEBGL_FLAGS = ['--disable-features=WebGPU', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** What a console line says when WebGPU or WebGL rejected work: a silent wrong result otherwise. */
const GPU_FAULT = /invalid|exceeds the maximum|device (was )?lost|destroyed|CONTEXT_LOST/i;

let server: PageServer;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  server = await startPageServer({ workDir: outDir, adapterDir: null });
}, 180_000);

afterAll(async () => {
  await server?.close();
});

async function download(page: Page, selector: string, dir: string): Promise<void> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  await file.saveAs(join(dir, file.suggestedFilename()));
}

interface PageRun {
  readonly result: TrainPageResult;
  readonly console: string[];
  readonly adapterDir: string;
  readonly seconds: number;
  /** What the page says it runs on. */
  readonly shown: string;
  /** The status line seen while it trained, at step 10 or a little later. */
  readonly liveStatus: string;
}

/** Opens train.html?query in a fresh Chromium with `flags`, waits for the run, screenshots it, saves the downloads. */
async function trainInPage(name: string, flags: string[], query: string): Promise<PageRun> {
  const profile = mkdtempSync(join(tmpdir(), 'peft-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...COMMON_FLAGS, ...flags] });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(600_000); // a synchronous generation keeps the page busy for a minute on a software GPU
    const console: string[] = [];
    page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
    const t0 = performance.now();
    await page.goto(`${server.url}train.html${query}`);
    // While it trains, the page repaints between steps: the status counts them and the chart grows.
    const live = await page.waitForFunction(
      () => {
        const status = document.getElementById('status')!;
        const step = Number(/^training: step (\d+)/.exec(status.textContent!)?.[1]);
        return step >= 10 || status.dataset.status === 'done' || status.dataset.status === 'error' ? status.textContent : false;
      },
      null,
      { polling: 250 },
    );
    const liveStatus = String(await live.jsonValue());
    await page.screenshot({ path: join(outDir, `train-${name}-live.png`), fullPage: true });
    await page.waitForSelector('#status[data-status="done"], #status[data-status="error"]');
    const seconds = (performance.now() - t0) / 1000;
    await page.screenshot({ path: join(outDir, `train-${name}.png`), fullPage: true });
    expect(await page.evaluate(() => window.peftError), console.join('\n')).toBeUndefined();
    const result = (await page.evaluate(() => window.peftTrain))!;
    const shown = (await page.textContent('#runs-on'))!.replace(/\s+/g, ' ').trim();
    const adapterDir = join(outDir, `adapter-${name}`);
    mkdirSync(adapterDir);
    await download(page, '#download-config', adapterDir);
    await download(page, '#download-weights', adapterDir);
    await download(page, '#download-metadata', adapterDir);
    return { result, console, adapterDir, seconds, shown, liveStatus };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The same training in Node on the cpu backend (exact float32 kernels), for the first `steps` steps. */
async function nodeLosses(steps: number, lr: number): Promise<number[]> {
  const [model, tokenizer] = await Promise.all([loadGpt2(TINY_GPT2), loadGpt2Tokenizer(TINY_GPT2)]);
  const { tuned, losses } = await fineTune(model, tokenizer, { ...PAGE_LORA, lines: [SENTENCE], steps, lr });
  tuned.dispose();
  model.dispose();
  return losses;
}

/**
 * The downloaded adapter loaded in Node onto the tiny GPT-2 (cpu backend): the probe's logits, the greedy continuation,
 * and its files written again. Tolerance of the logits: float32 on another backend, whose kernels sum in other
 * orders (a GPU's parallel reductions), so agreement to rounding, not bits.
 */
async function checkInNode(run: PageRun): Promise<void> {
  const { result, adapterDir } = run;
  const [model, tokenizer] = await Promise.all([loadGpt2(TINY_GPT2), loadGpt2Tokenizer(TINY_GPT2)]);
  const tuned = await loadAdapter(adapterDir, model);
  const configText = readFileSync(join(adapterDir, ADAPTER_CONFIG_FILE), 'utf8');
  const weights = readFileSync(join(adapterDir, ADAPTER_WEIGHTS_FILE));
  expect(configText).toBe(result.configText);
  expect(weights.byteLength).toBe(result.weightsBytes);
  expect(JSON.parse(configText)).toMatchObject({ peft_type: 'LORA', r: 16, lora_alpha: 32 }); // q and v of c_attn: one rank-16 LoRA
  const again = await tuned.toBytes(); // what Node's save() would write for the loaded adapter: the downloaded bytes
  expect(again.configText).toBe(configText);
  expect(Buffer.from(again.weights).equals(weights)).toBe(true);

  const ids = result.probe.ids;
  const logits = tf.tidy(() => Array.from(model.logits(model.forward({ inputIds: tf.tensor2d([ids], [1, ids.length], 'int32') }).hidden).dataSync())); // cpu
  expect(logits).toHaveLength(ids.length * result.probe.vocabSize);
  let worst = 0;
  logits.forEach((z, i) => (worst = Math.max(worst, Math.abs(z - result.probe.logits[i]!) / Math.max(1, Math.abs(z)))));
  expect(worst).toBeLessThan(1e-4);
  const greedy = (await generateGreedy(model, { inputIds: [tokenizer.encode(result.prompt)], maxNewTokens: result.tuned.ids.length })).tokens[0]!;
  expect(greedy).toEqual(result.tuned.ids); // identical tokens
  console.log(`${result.backend}: the downloaded adapter in Node (cpu): max |Δlogit|/max(1, |logit|) ${worst.toExponential(1)}, greedy tokens identical`);
  tuned.dispose();
  model.dispose();
}

function expectNoGpuFaults(run: PageRun): void {
  expect(run.console.filter((line) => GPU_FAULT.test(line))).toEqual([]);
}

it('trains on WebGPU (SwiftShader): the loss falls as in Node, the sentence is learnt, the downloads load in Node', async () => {
  const run = await trainInPage('webgpu', WEBGPU_FLAGS, ''); // the page's defaults: 100 steps, lr 0.02
  const { result } = run;
  console.log(`webgpu: ${run.seconds.toFixed(0)} s in all, ${(result.trainMilliseconds / 1000).toFixed(1)} s for ${result.steps} steps; loss ${result.losses[0]!.toFixed(3)} → ${result.losses.at(-1)!.toFixed(3)}`);
  expect(result.backend).toBe('webgpu');
  expect(result.device).toMatch(/swiftshader/i);
  expect(result.software).toBe(true);
  expect(result.skipped).toEqual([]);
  expect(run.shown).toBe('Runs on: WebGPU — google swiftshader (a fallback adapter) — software on the CPU, so expect CPU speed');
  expectNoGpuFaults(run);
  expect(run.liveStatus).toMatch(/^training: step (1\d|[2-9]\d) of 100, loss \d\.\d{4} \(\d+ ms a step\)$/);

  // The loss fell: below the previous step at each of the first 10 steps, the last 10 steps' mean under 0.3× step 1's.
  expect(result.steps).toBe(100);
  expect(result.losses).toHaveLength(100);
  for (let i = 1; i < 10; i++) expect(result.losses[i]).toBeLessThan(result.losses[i - 1]!);
  expect(result.losses.slice(-10).reduce((a, b) => a + b) / 10).toBeLessThan(0.3 * result.losses[0]!);
  // Step for step as in Node for 10 steps (then float32 differences between backends grow with training).
  const node = await nodeLosses(10, result.lr);
  node.forEach((loss, i) => expect(Math.abs(result.losses[i]! - loss)).toBeLessThan(1e-3 * loss));
  expect(result.tuned.text).toBe(' brown fox jumps over the lazy dog'); // the rest of the sentence, after "the quick"
  await checkInNode(run);
}, 900_000);

it('falls back to WebGL when WebGPU is off, and trains there too', async () => {
  const run = await trainInPage('webgl', WEBGL_FLAGS, '?steps=20');
  const { result } = run;
  console.log(`webgl: ${run.seconds.toFixed(0)} s in all, ${(result.trainMilliseconds / 1000).toFixed(1)} s for ${result.steps} steps; loss ${result.losses[0]!.toFixed(3)} → ${result.losses.at(-1)!.toFixed(3)}`);
  expect(result.backend).toBe('webgl');
  expect(result.device).toMatch(/swiftshader/i);
  expect(result.skipped).toHaveLength(1);
  expect(result.skipped[0]).toMatch(/^webgpu: /);
  expect(run.shown).toMatch(/^Runs on: WebGL \(no WebGPU here\) — ANGLE \(.*SwiftShader.*\) — software on the CPU, so expect CPU speed\s*skipped: webgpu: /);
  expectNoGpuFaults(run);
  expect(run.liveStatus).toMatch(/^training: step 1\d of 20, loss /);
  // The loss fell: below the previous step at every step, and the last under 0.5× step 1's.
  expect(result.losses).toHaveLength(20);
  for (let i = 1; i < 20; i++) expect(result.losses[i]).toBeLessThan(result.losses[i - 1]!);
  expect(result.losses.at(-1)!).toBeLessThan(0.5 * result.losses[0]!);
  const node = await nodeLosses(10, result.lr);
  node.forEach((loss, i) => expect(Math.abs(result.losses[i]! - loss)).toBeLessThan(1e-3 * loss));
  await checkInNode(run);
}, 900_000);
