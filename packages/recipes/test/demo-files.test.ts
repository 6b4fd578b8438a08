import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '@peft/models-gpt2-roberta';
import { describe, expect, it } from 'vitest';
import { DEMO_SUBSET, demoDataDir, demoModelDir, demoRoot } from '../src/cli/demo-files.js';
import { DEMO_SETTINGS } from '../src/cli/demo-command.js';
import { NLG_SPECIAL_TOKENS } from '../src/data/special-tokens.js';
import { groupEntries } from '../src/data/webnlg-examples.js';
import { loadWebnlgJson } from '../src/data/webnlg-json.js';
import { buildWebnlgSequence } from '../src/data/webnlg-sequence.js';
import { RECIPES } from '../src/recipes.js';
import type { NlgTokenizer } from '../src/task/nlg.js';

// `peft demo` runs on files inside @peft/recipes (demo/), so a clone or an installed package needs nothing beside it.
// Its WebNLG files are the shortest prefixes of the full ones that hold every example the demo takes (they are cut by
// scripts/make-demo-data.ts; that they are byte-for-byte prefixes of the full files is checked when they are cut).

const here = fileURLToPath(new URL('.', import.meta.url));
const packageDir = join(here, '..');

describe('the demo files inside @peft/recipes', () => {
  it('are found beside the sources, and the demo runs on them by default', () => {
    expect(demoRoot()).toBe(join(packageDir, 'demo'));
    expect(DEMO_SETTINGS.modelDir).toBe(join(packageDir, 'demo', 'tiny-gpt2'));
    expect(DEMO_SETTINGS.dataDir).toBe(join(packageDir, 'demo', 'data'));
    expect(DEMO_SETTINGS).toMatchObject(DEMO_SUBSET);
  });

  it('hold the tiny GPT-2 of test-fixtures, byte for byte', () => {
    const fixture = join(packageDir, '../../test-fixtures/tiny-gpt2');
    const names = readdirSync(fixture).sort();
    expect(readdirSync(demoModelDir()).sort()).toEqual(names);
    for (const name of names) expect(readFileSync(join(demoModelDir(), name)).equals(readFileSync(join(fixture, name))), name).toBe(true);
  });

  it('hold exactly the entries the demo takes: 32 + 16 examples of ≤ 72 tokens, 40 test entries with their references', async () => {
    const tok = (await loadTokenizer(demoModelDir())) as unknown as NlgTokenizer;
    tok.addSpecialTokens(NLG_SPECIAL_TOKENS);
    const files = RECIPES.webnlg.files;
    const lastEntryTaken = (file: string, wanted: number): { last: number; entries: number } => {
      const examples = loadWebnlgJson(join(demoDataDir(), file));
      let fitting = 0;
      for (const ex of examples) {
        if (buildWebnlgSequence(tok, ex.triples, ex.target).inputIds.length <= DEMO_SUBSET.maxLength && ++fitting === wanted) {
          return { last: ex.entryIndex, entries: examples[examples.length - 1]!.entryIndex + 1 };
        }
      }
      throw new Error(`${file}: ${fitting} of ${wanted} examples fit`);
    };
    // the example that completes the subset is in the file's last entry: no entry more than the demo reads
    expect(lastEntryTaken(files.train, DEMO_SUBSET.maxTrainExamples)).toEqual({ last: 12, entries: 13 });
    expect(lastEntryTaken(files.valid, DEMO_SUBSET.maxValidExamples)).toEqual({ last: 8, entries: 9 });
    const test = groupEntries(loadWebnlgJson(join(demoDataDir(), files.test!)));
    expect(test).toHaveLength(DEMO_SUBSET.testEntries);
    expect(test[0]!.references).toEqual([
      'Abilene, Texas is served by the Abilene regional airport.',
      'Abilene Regional Airport serves the city of Abilene in Texas.',
    ]);
    expect(test.reduce((n, e) => n + e.references.length, 0)).toBe(TEST_REFERENCES);
  });

  it('carry the WebNLG licence (CC BY-NC-SA 4.0) and its source', () => {
    const readme = readFileSync(join(demoRoot(), 'README.md'), 'utf8');
    expect(readme).toMatch(/CC BY-NC-SA 4\.0/);
    expect(readme).toMatch(/WebNLG Challenge 2017/);
    expect(readme).toMatch(/non-commercial use only/);
  });
});

/** The reference texts of test entries 1–40 (good lexicalisations of testdata_with_lex.xml), counted when cut. */
const TEST_REFERENCES = 103;
