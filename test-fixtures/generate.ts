/**
 * Regenerates every committed fixture under test-fixtures/: first the tokenizer files (scripts/tokenizer-files.mjs,
 * owned by the tokenizer), then the checkpoints (scripts/checkpoints.ts), whose vocab sizes follow the tokenizer
 * files. Node 20 cannot run TypeScript directly, so this runs under vitest:
 *
 *     PEFT_WRITE_FIXTURES=1 npx vitest run packages/models-gpt2-roberta/test/fixtures.test.ts
 *
 * Without PEFT_WRITE_FIXTURES that test regenerates into a temporary directory and checks the committed bytes.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_GPT2_DIR, TINY_ROBERTA_DIR, tinyVocabSizes, writeTinyCheckpoints } from './scripts/checkpoints.js';
// @ts-expect-error plain ESM JavaScript without type declarations (the tokenizer's generator)
import { writeTokenizerFiles } from './scripts/tokenizer-files.mjs';

export const FIXTURES_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Writes the tokenizer files and then the checkpoints (sized to the tokenizer vocabularies) under `root`. */
export async function generateFixtures(root: string = FIXTURES_ROOT): Promise<void> {
  writeTokenizerFiles(join(root, TINY_GPT2_DIR), 'gpt2');
  writeTokenizerFiles(join(root, TINY_ROBERTA_DIR), 'roberta');
  await writeTinyCheckpoints(root, await tinyVocabSizes(root));
}
