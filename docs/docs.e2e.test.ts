// The ```sh runnable blocks (commands of the built `peft` CLI) and ```ts runnable slow blocks, run as written from a
// scratch folder laid out like a checkout after `npm run build` (npm run e2e builds first).
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { REPO, allRunnableBlocks, runTypeScriptBlock, scratchCheckout } from './harness.js';

tf.env().set('IS_TEST', false); // see docs.test.ts

const blocks = allRunnableBlocks();
const shell = blocks.filter((b) => ['sh', 'bash', 'shell'].includes(b.lang));
const slow = blocks.filter((b) => ['ts', 'typescript'].includes(b.lang) && b.tags.includes('slow'));

it('has shell blocks to run', () => {
  expect(shell.map((b) => b.file)).toContain('docs/recipes.md');
});

for (const block of shell) {
  it(`${block.file}:${block.line}`, () => {
    const { cwd, cleanup } = scratchCheckout();
    try {
      // `npx peft` resolves the workspace's bin through node_modules, as in the repository itself
      symlinkSync(join(REPO, 'node_modules'), join(cwd, 'node_modules'), 'dir');
      symlinkSync(join(REPO, 'packages'), join(cwd, 'packages'), 'dir');
      const out = execFileSync('bash', ['-euo', 'pipefail', '-c', block.code], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, PEFT_BACKEND: process.env.PEFT_BACKEND ?? 'wasm', npm_config_offline: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 600_000,
      });
      for (const m of block.code.matchAll(/# → (.+)$/gm)) expect(out).toContain(m[1]!.trim());
    } finally {
      cleanup();
    }
  });
}

for (const block of slow) {
  it(`${block.file}:${block.line} (slow)`, async () => {
    const { cwd, cleanup } = scratchCheckout();
    try {
      // the block's own checks throw; what is asserted here is that it runs to its end
      await expect(runTypeScriptBlock(block, cwd)).resolves.toBeUndefined();
    } finally {
      cleanup();
    }
  });
}
