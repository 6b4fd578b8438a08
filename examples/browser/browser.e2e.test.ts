// The browser example in headless Chromium: the page loads the tiny GPT-2 and a LoRA adapter over HTTP and generates
// on the WebGL backend (SwiftShader, no GPU); the text must be what Node generates with the same adapter.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main as lifeCycle, PROMPT } from '../04-save-load-merge-generate/index.js';
import { startPageServer, type PageServer } from './index.js';
import type { PageResult } from './main.js';

tf.env().set('IS_TEST', false); // see examples/01-lora-gpt2/index.test.ts

const CHROMIUM = '/usr/bin/chromium';
const outDir = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));

let server: PageServer;
let browser: BrowserContext;
let userDataDir: string;
let node: Awaited<ReturnType<typeof lifeCycle>>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // the adapter, trained and used in Node (wasm): its greedy text is the reference for the page
  node = await lifeCycle({ adapterDir: join(outDir, 'adapter'), log: () => {} });
  server = await startPageServer({ workDir: outDir, adapterDir: join(outDir, 'adapter') });
  userDataDir = mkdtempSync(join(tmpdir(), 'peft-chromium-'));
  // a fresh profile (playwright passes it as --user-data-dir)
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader', // WebGL on the CPU
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

it('generates in the page on WebGL what Node generates', async () => {
  const page = await browser.newPage();
  const console: string[] = [];
  page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  const tokens = node.tokens.reloaded.length;
  await page.goto(`${server.url}?tokens=${tokens}`);
  await page.waitForSelector('#status[data-status="done"], #status[data-status="error"]', { timeout: 120_000 });
  await page.screenshot({ path: join(outDir, 'browser.png'), fullPage: true });
  const error = await page.evaluate(() => window.peftError);
  expect(error, console.join('\n')).toBeUndefined();
  const result = (await page.evaluate(() => window.peftResult)) as PageResult;
  expect(result.backend).toBe('webgl');
  expect(result.prompt).toBe(PROMPT);
  expect(result.tuned.text).toBe(' brown fox jumps over the lazy dog');
  expect(result.tuned.ids).toEqual(node.tokens.reloaded); // same adapter, same greedy tokens as Node
  expect(result.merged.ids).toEqual(result.tuned.ids);
  expect(result.base.text).toBe(node.texts.base);
  expect(await page.textContent('#tuned')).toBe(`${PROMPT} brown fox jumps over the lazy dog`);
  await page.close();
}, 180_000);
