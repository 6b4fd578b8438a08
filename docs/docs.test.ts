// Every ```ts runnable block of README.md, docs/ and examples/ runs as written (see harness.ts for how).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { haveSharedData } from '../test/shared-data.js';
import { allRunnableBlocks, runTypeScriptBlock, scratchCheckout } from './harness.js';
import { runnableBlocks } from './runnable.js';

// test/setup.ts sets IS_TEST (tfjs's per-kernel leak check), which misfires under a gradient tape on wasm, the
// backend the blocks pick with selectBackend() as a user's run would.
tf.env().set('IS_TEST', false);

const blocks = allRunnableBlocks();
const tsBlocks = blocks.filter((b) => ['ts', 'typescript'].includes(b.lang) && !b.tags.includes('slow'));

describe('runnable TypeScript blocks', () => {
  it('finds the blocks the documentation promises', () => {
    const files = new Set(tsBlocks.map((b) => b.file));
    expect(files).toContain('README.md');
    expect(files).toContain('docs/getting-started.md');
    expect(tsBlocks.length).toBeGreaterThanOrEqual(10);
  });

  for (const block of tsBlocks) {
    // a block that reads a data set (findDataDir) needs ../shared/data (PEFT_DATA): off CI a bare clone skips it
    const needsData = block.code.includes('findDataDir(');
    it.runIf(!needsData || haveSharedData('webnlg/webnlg_challenge_2017/train.json', 'sst2/SST-2/dev.tsv'))(`${block.file}:${block.line}`, async () => {
      const { cwd, cleanup } = scratchCheckout();
      const lines: string[] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
      try {
        await runTypeScriptBlock(block, cwd);
      } finally {
        console.log = log;
        cleanup();
      }
      // a block that prints promises output: the comments `// → text` in the block must appear in what it printed
      for (const m of block.code.matchAll(/\/\/ → (.+)$/gm)) expect(lines.join('\n')).toContain(m[1]!.trim());
    });
  }
});

describe('runnableBlocks', () => {
  it('takes only blocks marked runnable, with their line and tags', () => {
    // a closing fence may be longer than the opening one
    const md = ['# t', '```ts', 'skip()', '```', '', '```ts runnable', 'a()', '````', '```sh runnable slow', 'ls', '```'].join('\n');
    const found = runnableBlocks(md, 'x.md');
    expect(found.map((b) => [b.line, b.lang, b.tags, b.code])).toEqual([
      [6, 'ts', [], 'a()\n'],
      [9, 'sh', ['slow'], 'ls\n'],
    ]);
    expect(() => runnableBlocks('```ts runnable\nnever closed', 'y.md')).toThrow(/y\.md:1: code block never closed/);
  });

  it('reads the README block that composes methods', () => {
    const readme = runnableBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'), 'README.md');
    expect(readme).toHaveLength(2);
    expect(readme[0]!.code).toContain("from '@peft/lora'"); // "Use it from npm": the smallest program
    expect(readme[1]!.code).toContain('mix(');
  });
});
