// Writes packages/recipes/demo/data: the WebNLG 2017 entries `peft demo` reads, and nothing else, so that the demo runs
// from a clone or an installed @peft/recipes with no data beside it. Run from the repository root after `npm run build`:
//
//   npx tsx packages/recipes/scripts/make-demo-data.ts [--from <folder holding webnlg/webnlg_challenge_2017>]
//
// (default --from: ../shared/data beside the repository). Each of train/dev/test.json keeps a prefix of the full file's
// entries, under their own keys and byte-for-byte contents: the demo takes examples in file order (training: until
// maxTrainExamples of them fit in maxLength tokens; validation: until maxValidExamples fit; test: the first testEntries
// entries with a good lexicalisation), so the prefix that holds the last one it takes gives it exactly the same examples.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '@peft/models-gpt2-roberta';
import { NLG_SPECIAL_TOKENS } from '../src/data/special-tokens.js';
import { groupEntries } from '../src/data/webnlg-examples.js';
import { webnlgFromJson } from '../src/data/webnlg-json.js';
import { buildWebnlgSequence } from '../src/data/webnlg-sequence.js';
import { RECIPES } from '../src/recipes.js';
import { DEMO_SUBSET, demoDataDir, demoModelDir } from '../src/cli/demo-files.js';

const here = dirname(fileURLToPath(import.meta.url));
const fromArg = process.argv.indexOf('--from');
const from = fromArg > 0 ? resolve(process.argv[fromArg + 1]!) : resolve(here, '../../../../shared/data');
const files = RECIPES.webnlg.files;

type Doc = { entries: Record<string, unknown>[] };
const read = (rel: string): { doc: Doc; text: string } => {
  const text = readFileSync(join(from, rel), 'utf8');
  return { doc: JSON.parse(text) as Doc, text };
};

const tok = await loadTokenizer(demoModelDir());
(tok as unknown as { addSpecialTokens(t: readonly string[]): void }).addSpecialTokens(NLG_SPECIAL_TOKENS);
const limit = DEMO_SUBSET.maxLength; // the tiny GPT-2's 128 positions − 32 leave more than 72
const fits = (e: { triples: Parameters<typeof buildWebnlgSequence>[1]; target: string }): boolean =>
  buildWebnlgSequence(tok as never, e.triples, e.target).inputIds.length <= limit;

/** Entries [0, n) of the file: n = 1 + the entry index of the last example the demo takes. */
function entriesFor(rel: string, howMany: number, pick: 'fitting-examples' | 'entries'): number {
  const { doc } = read(rel);
  const examples = webnlgFromJson(doc, rel);
  if (pick === 'entries') {
    const groups = groupEntries(examples).slice(0, howMany);
    if (groups.length < howMany) throw new Error(`${rel}: only ${groups.length} entries`);
    return groups[groups.length - 1]!.entryIndex + 1;
  }
  let fitting = 0;
  for (const ex of examples) {
    if (fits(ex) && ++fitting >= howMany) return ex.entryIndex + 1;
  }
  throw new Error(`${rel}: only ${fitting} examples fit in ${limit} tokens`);
}

const plan: [string, number][] = [
  [files.train, entriesFor(files.train, DEMO_SUBSET.maxTrainExamples, 'fitting-examples')],
  [files.valid, entriesFor(files.valid, DEMO_SUBSET.maxValidExamples, 'fitting-examples')],
  [files.test!, entriesFor(files.test!, DEMO_SUBSET.testEntries, 'entries')],
];
const out = demoDataDir();
for (const [rel, n] of plan) {
  const { doc } = read(rel);
  const subset = { ...doc, entries: doc.entries.slice(0, n) };
  mkdirSync(dirname(join(out, rel)), { recursive: true });
  // the source files are Python's json.dump(indent=4, sort_keys=True, ensure_ascii=False): the same layout
  writeFileSync(join(out, rel), JSON.stringify(subset, null, 4) + '\n');
  process.stdout.write(`${rel}: entries 1–${n} of ${doc.entries.length}\n`);
}
