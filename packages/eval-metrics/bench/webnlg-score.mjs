// Times the full official WebNLG 2017 evaluation on the built package:
//   cd packages/eval-metrics && npx tsup && node bench/webnlg-score.mjs [DATA_DIR] [--hyp FILE]
// Without --hyp, the hypothesis of each of the 1,862 test entries is its first reference (raw text): BLEU 100, TER 0.
// With --hyp (one line per test entry, e.g. a real system's output), TER's shift search and METEOR's aligner do the
// work a real evaluation does. Prints the scores, the wall time per part and the process CPU time (the wall time on a
// loaded machine can be far above it).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OFFICIAL_WEBNLG_METRICS, formatMultiBleu, readWebnlgBenchmark, scoreWebnlg } from '../dist/index.js';

const argv = process.argv.slice(2);
const hypAt = argv.indexOf('--hyp');
const givenHyp = hypAt >= 0 ? argv.splice(hypAt, 2)[1] : undefined;
// the repository's reference data (PEFT_DATA, default ../shared/data next to the checkout), or a WebNLG 2017 folder given
const dataDir = argv[0] ?? join(process.env.PEFT_DATA || fileURLToPath(new URL('../../../../shared/data', import.meta.url)), 'webnlg/webnlg_challenge_2017');
const xml = join(dataDir, 'test', 'testdata_with_lex.xml');
const entries = readWebnlgBenchmark(readFileSync(xml, 'utf8'), xml);
const hypFile = givenHyp ?? join(mkdtempSync(join(tmpdir(), 'webnlg-bench-')), 'first-reference.txt');
if (!givenHyp) writeFileSync(hypFile, entries.map((entry) => `${entry.lexs[0]}\n`).join(''));

const spent = { ter: 0, meteor: 0 };
const timed = (name) => {
  const score = OFFICIAL_WEBNLG_METRICS[name];
  if (!score) return null;
  return (hyps, refs) => {
    const start = performance.now();
    try {
      return score(hyps, refs);
    } finally {
      spent[name] += performance.now() - start;
    }
  };
};

const start = performance.now();
const cpuStart = process.cpuUsage();
const result = scoreWebnlg({ hyp: hypFile, dataDir, metrics: { ter: timed('ter'), meteor: timed('meteor') } });
const total = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

for (const split of ['seen', 'unseen', 'all']) {
  const { segments, bleu, meteor, ter } = result[split];
  const line = formatMultiBleu({
    score: bleu.score,
    precisions: bleu.precisions,
    bp: bleu.bp,
    ratio: bleu.ratio,
    hypLen: bleu.hyp_len,
    refLen: bleu.ref_len,
  });
  const meteorText = meteor ? meteor.score.toFixed(4) : 'n/a';
  const terText = ter ? ter.score.toFixed(4) : 'n/a';
  console.log(`${split.padEnd(6)} (${segments} segments)  ${line}  METEOR ${meteorText}  TER ${terText}`);
}
const other = total - (spent.ter + spent.meteor) / 1000;
console.log(
  `wall time ${total.toFixed(2)} s  (TER ${(spent.ter / 1000).toFixed(2)} s, METEOR ${(spent.meteor / 1000).toFixed(2)} s, ` +
    `reading + preprocessing + BLEU ${other.toFixed(2)} s; goal < 30 s); CPU time ${cpuSeconds.toFixed(2)} s`,
);
console.log(JSON.stringify({ wall_s: total, cpu_s: cpuSeconds, ter_s: spent.ter / 1000, meteor_s: spent.meteor / 1000, other_s: other, goal_s: 30 }));
