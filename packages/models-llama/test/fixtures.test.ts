import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_ROOT, TINY_LLAMA_DIR, TINY_QWEN2_DIR, writeLlamaFixtures } from './fixtures.js';

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('test-fixtures tiny-llama and tiny-qwen2', () => {
  // lint-tests: allow a generator on request, not a check: the test below checks the committed fixtures under CI too
  it.runIf(process.env.PEFT_WRITE_FIXTURES === '1')('regenerates the committed fixtures (PEFT_WRITE_FIXTURES=1)', async () => {
    await writeLlamaFixtures(FIXTURES_ROOT);
    expect((await stat(join(FIXTURES_ROOT, TINY_QWEN2_DIR, 'model.safetensors'))).size).toBeGreaterThan(0);
  });

  it('the generator reproduces the committed files byte for byte', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'peft-llama-fixtures-'));
    try {
      const written = await writeLlamaFixtures(tmp);
      expect(written[TINY_LLAMA_DIR]).toEqual([
        'tokenizer.json',
        'tokenizer_config.json',
        'config.json',
        'model-00001-of-00002.safetensors',
        'model-00002-of-00002.safetensors',
        'model.safetensors.index.json',
      ]);
      expect(written[TINY_QWEN2_DIR]).toEqual(['tokenizer.json', 'tokenizer_config.json', 'config.json', 'model.safetensors']);
      let total = 0;
      for (const [dir, files] of Object.entries(written)) {
        for (const f of files) {
          expect(await sha256(join(tmp, dir, f)), `${dir}/${f}`).toBe(await sha256(join(FIXTURES_ROOT, dir, f)));
          total += (await stat(join(FIXTURES_ROOT, dir, f))).size;
        }
      }
      expect(total).toBeLessThan(1024 * 1024); // they stay small
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
