import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { scoreCoqa, scoreFiles, scoreWebnlg } from '@peft/eval-metrics';
import { findDataDir } from '../data/data-folder.js';
import { UsageError } from '../errors.js';
import { flagOption, repeatableParser, valueOption, type CliIo } from './option-parsers.js';

/** The gold file of the official WebNLG 2017 evaluation, in the data folder. */
const WEBNLG_TEST_XML = 'webnlg/webnlg_challenge_2017/test/testdata_with_lex.xml';

const CORPUS_METRICS = {
  bleu: 'corpus BLEU as multi-bleu.perl',
  ter: 'TER as tercom 0.7.25',
  meteor: 'METEOR 1.5 (English, exact + stem + synonym + paraphrase)',
} as const;

/**
 * `peft metrics bleu|ter|meteor|webnlg|coqa`: the official scores of @peft/eval-metrics on files, one JSON object on
 * stdout. The flag names of the tools users know work too: `--lowercase` / `-lc` (multi-bleu.perl, sacreBLEU) and
 * `--data-file` / `--pred-file` (the official CoQA script).
 */
export function registerMetricsCommands(program: Command, io: CliIo): void {
  const metrics = program
    .command('metrics')
    .summary('score files with the official metrics: BLEU, TER, METEOR, the WebNLG and CoQA evaluations')
    .description('Scores hypothesis files with the official metrics of @peft/eval-metrics; prints one JSON object.');
  for (const [metric, what] of Object.entries(CORPUS_METRICS)) {
    metrics
      .command(metric)
      .description(`${what}: one hypothesis per line, each --ref file line-aligned with it`)
      .addOption(valueOption('--hyp <file>', 'hypotheses, one segment per line').makeOptionMandatory())
      .addOption(valueOption('--ref <file>', 'references, line-aligned with --hyp; repeat for several references', { parse: repeatableParser('file'), defaultValue: [] }))
      .addOption(flagOption('--lowercase', 'lower-case hypotheses and references first (aliases: --lc, and -lc as multi-bleu.perl and sacreBLEU spell it)'))
      .addOption(new Option('--lc').hideHelp().implies({ lowercase: true }))
      .action((o: { hyp: string; ref: string[]; lowercase?: boolean }) => {
        if (!o.ref.length) throw new UsageError(`metrics ${metric} needs at least one --ref FILE`);
        io.out(JSON.stringify(scoreFiles({ metric: metric as keyof typeof CORPUS_METRICS, hyp: o.hyp, refs: o.ref, lowercase: o.lowercase ?? false })));
      });
  }
  metrics
    .command('webnlg')
    .description('the official WebNLG 2017 evaluation (BLEU, METEOR, TER on seen, unseen and all) of a 1,862-line hypothesis file')
    .addOption(valueOption('--hyp <file>', 'one hypothesis per test entry, in the test set\'s order').makeOptionMandatory())
    .addOption(valueOption('--data <dir>', 'the WebNLG 2017 folder with the official references', { defaultText: 'webnlg/webnlg_challenge_2017 in $PEFT_DATA, else in the cache of peft data get' }))
    .action((o: { hyp: string; data?: string }) => {
      io.out(JSON.stringify(scoreWebnlg({ hyp: o.hyp, dataDir: o.data ?? join(findDataDir('webnlg', [WEBNLG_TEST_XML]), 'webnlg', 'webnlg_challenge_2017') })));
    });
  metrics
    .command('coqa')
    .description('the official CoQA evaluation (EM and F1 by domain and overall), with the official script\'s flag names')
    .addOption(valueOption('--data-file <file>', 'the gold file, e.g. coqa-dev-v1.0.json (alias: --data)'))
    .addOption(valueOption('--pred-file <file>', 'predictions, a JSON list of {id, turn_id, answer} (alias: --pred)'))
    .addOption(new Option('--data <file>').hideHelp())
    .addOption(new Option('--pred <file>').hideHelp())
    .action((o: { dataFile?: string; predFile?: string; data?: string; pred?: string }) => {
      const dataFile = o.dataFile ?? o.data;
      const predFile = o.predFile ?? o.pred;
      if (!dataFile) throw new UsageError('metrics coqa needs --data-file FILE (the gold coqa-dev-v1.0.json)');
      if (!predFile) throw new UsageError('metrics coqa needs --pred-file FILE (the predictions JSON)');
      io.out(JSON.stringify(scoreCoqa({ dataFile, predFile })));
    });
}

/**
 * Command-line words rewritten before commander reads them: `-lc` → `--lowercase`. multi-bleu.perl and sacreBLEU spell
 * their lower-casing flag `-lc`, and commander's short options are one character (it would read `-l -c`).
 */
export function normaliseArgv(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '-lc' ? '--lowercase' : a));
}
