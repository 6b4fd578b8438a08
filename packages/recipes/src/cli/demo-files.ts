import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFileError } from '../errors.js';

/**
 * The files `peft demo` trains and scores on, shipped inside @peft/recipes (`demo/` beside `dist/` and `src/`): the
 * tiny random GPT-2 and the demo's WebNLG 2017 subset (demo/README.md says what it holds and under which licence).
 * Found from this module's own file, so the same lookup works from the sources, the ESM and CommonJS builds (tsup
 * shims import.meta.url there) and an installed package.
 */
export function demoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/cli/ (sources) or dist/ (built): the package folder is one or two levels up
  for (const up of [join(here, '..'), join(here, '..', '..')]) {
    if (existsSync(join(up, 'demo', 'tiny-gpt2', 'config.json'))) return join(up, 'demo');
  }
  throw new DataFileError(join(here, '..', 'demo'), 'the demo files of @peft/recipes are missing (reinstall the package)');
}

/**
 * Which examples the demo takes, in file order (and so which entries demo/data must hold: scripts/make-demo-data.ts
 * cuts it with these): the first 32 training and 16 validation examples that fit in 72 tokens, and the first 40 test
 * entries with their references.
 */
export const DEMO_SUBSET = { maxTrainExamples: 32, maxValidExamples: 16, testEntries: 40, maxLength: 72 } as const;

/** The demo's model: a 2-layer GPT-2 with random weights (d = 32), a Hugging Face checkpoint folder. */
export const demoModelDir = (): string => join(demoRoot(), 'tiny-gpt2');

/** The demo's data folder, laid out as the full one (`webnlg/webnlg_challenge_2017/{train,dev,test}.json`). */
export const demoDataDir = (): string => join(demoRoot(), 'data');
