import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_ROOT, generateFixtures } from '../../../test-fixtures/generate.js';
import {
  TINY_GPT2_DIR,
  TINY_ROBERTA_DIR,
  tinyVocabSizes,
  writeTinyCheckpoints,
} from '../../../test-fixtures/scripts/checkpoints.js';

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
const CHECKPOINT_FILES = ['config.json', 'model.safetensors'];

describe('test-fixtures checkpoints', () => {
  // lint-tests: allow a generator on request, not a check: the test below checks the committed fixtures under CI too
  it.runIf(process.env.PEFT_WRITE_FIXTURES === '1')('regenerates the committed fixtures (PEFT_WRITE_FIXTURES=1)', async () => {
    await generateFixtures(FIXTURES_ROOT);
    expect((await stat(join(FIXTURES_ROOT, TINY_GPT2_DIR, 'model.safetensors'))).size).toBeGreaterThan(0);
  });

  it('the generator reproduces the committed checkpoint files byte for byte', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'peft-fixtures-'));
    try {
      await writeTinyCheckpoints(tmp, await tinyVocabSizes(FIXTURES_ROOT));
      for (const dir of [TINY_GPT2_DIR, TINY_ROBERTA_DIR]) {
        for (const f of CHECKPOINT_FILES) {
          expect(await sha256(join(tmp, dir, f)), `${dir}/${f}`).toBe(await sha256(join(FIXTURES_ROOT, dir, f)));
        }
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('the committed checkpoints stay small (< 2 MB together)', async () => {
    let total = 0;
    for (const dir of [TINY_GPT2_DIR, TINY_ROBERTA_DIR]) {
      for (const f of CHECKPOINT_FILES) total += (await stat(join(FIXTURES_ROOT, dir, f))).size;
    }
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });
});
