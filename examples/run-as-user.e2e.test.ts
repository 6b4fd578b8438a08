// Each example as its README line says to run it: `cd examples/<name> && npx tsx index.ts`, on the built packages
// (npm run e2e builds first) and whatever backend selectBackend picks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const examples = fileURLToPath(new URL('.', import.meta.url));

function run(name: string, args: string[] = []): string {
  return execFileSync('npx', ['tsx', 'index.ts', ...args], {
    cwd: join(examples, name),
    encoding: 'utf8',
    env: { ...process.env, npm_config_offline: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  });
}

it('01-lora-gpt2', () => {
  const out = run('01-lora-gpt2');
  expect(out).toContain('LoRA adds 1024 trainable parameters (2.02 % of GPT-2)');
  expect(out).toContain('a fresh LoRA changes the logits by 0;');
});

it('02-compose-mix', () => {
  const out = run('02-compose-mix');
  expect(out).toMatch(/^total +13,532$/m);
  expect(out).toContain('on GPT-2 small the same mix has 2,804,616');
});

it('03-sst2-roberta-mam (20 steps on SST-2 from PEFT_DATA, the tests\' ../shared/data)', () => {
  const out = run('03-sst2-roberta-mam');
  expect(out).toContain('3192 trainable parameters');
  expect(out).toContain('SST-2: 320 training and 200 dev examples');
  expect(out.match(/^step +\d+ +loss 0\.\d+/gm)).toHaveLength(20);
  expect(out).toMatch(/reloaded into a fresh model: (\d+\.\d) %/);
  const [, trained] = /after 20 steps: (\d+\.\d) %/.exec(out)!;
  expect(out).toContain(`reloaded into a fresh model: ${trained} %`);
});

it('04-save-load-merge-generate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peft-example-04-'));
  try {
    const out = run('04-save-load-merge-generate', [join(dir, 'adapter')]);
    expect(out).toContain('after training:  "the quick" → " brown fox jumps over the lazy dog"');
    expect(out).toContain('merged, no hooks: "the quick" → " brown fox jumps over the lazy dog"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('05-kernel-view', () => {
  const out = run('05-kernel-view');
  expect(out).toMatch(/^i +token +λ head 0 +λ head 1 +λ head 2 +λ head 3 +mean λ/m);
  const gap = Number(/max \|difference\| (\S+)/.exec(out)![1]);
  expect(gap).toBeLessThan(1e-5);
});
