import { join } from 'node:path';
import { Argument, type Command } from 'commander';
import { isCausalLm, isClassifier } from '@peft/models-base';
import { classifierSplit, lmSplit } from '../data/batching.js';
import { findDataDir } from '../data/data-folder.js';
import { loadMnli, loadSst2 } from '../data/glue.js';
import { buildGlueInput } from '../data/glue-sequence.js';
import { STOP_TOKENS } from '../data/special-tokens.js';
import { groupEntries } from '../data/webnlg-examples.js';
import { loadWebnlgJson } from '../data/webnlg-json.js';
import { buildWebnlgSequence } from '../data/webnlg-sequence.js';
import { UsageError } from '../errors.js';
import { NLU_EVAL_SAMPLES, RECIPES } from '../recipes.js';
import { decodePrompts, padId, perplexity } from '../task/nlg.js';
import { accuracyOf } from '../task/nlu.js';
import { useBackend } from './backend.js';
import { loadTuned } from './load-tuned.js';
import { integerParser, valueOption, type CliIo } from './option-parsers.js';
import { requireFile } from './paths.js';
import { scoreWebnlgSubset } from './scores.js';

const EVAL_TASKS = ['webnlg', 'sst2', 'mnli'] as const;
type EvalTask = (typeof EVAL_TASKS)[number];

interface EvalOptions {
  model: string;
  adapter: string;
  data?: string;
  testEntries?: number;
  maxValidExamples?: number;
  seed?: number;
}

/** `peft eval webnlg|sst2|mnli`: a saved adapter scored on the task's validation (and WebNLG test) data. */
export function registerEvalCommand(program: Command, io: CliIo): void {
  program
    .command('eval')
    .summary('score a saved adapter: WebNLG perplexity and BLEU/METEOR/TER, SST-2/MNLI accuracy')
    .description('Scores a saved adapter. CoQA is scored at the end of peft train (its official EM/F1 need the decodes of every turn).')
    .addArgument(new Argument('<task>', 'the task').choices(EVAL_TASKS))
    .addOption(valueOption('--model <dir>', 'the checkpoint folder the adapter was trained on').makeOptionMandatory())
    .addOption(valueOption('--adapter <dir>', 'the adapter folder (a run\'s OUT/adapter)').makeOptionMandatory())
    .addOption(valueOption('--data <dir>', 'data folder', { defaultText: '$PEFT_DATA, else the cache of peft data get' }))
    .addOption(valueOption('--test-entries <int>', 'webnlg: decode and score the first N test entries', { parse: integerParser('--test-entries', 1), defaultText: '100' }))
    .addOption(
      valueOption('--max-valid-examples <int>', 'validation examples to score', { parse: integerParser('--max-valid-examples', 1), defaultText: `webnlg 200, sst2/mnli ${NLU_EVAL_SAMPLES}` }),
    )
    .addOption(
      valueOption('--seed <int>', 'sst2/mnli: the training seed, which draws the frozen random head of a checkpoint without one', {
        parse: integerParser('--seed', 0),
        defaultText: `the recipe's, ${RECIPES.sst2.seed}`,
      }),
    )
    .action(async (task: EvalTask, o: EvalOptions) => {
      if (task === 'webnlg' && o.seed !== undefined) throw new UsageError('--seed applies to peft eval sst2|mnli (the seed of the random classification head)');
      if (task !== 'webnlg' && o.testEntries !== undefined) throw new UsageError('--test-entries applies to peft eval webnlg');
      await useBackend(io.err);
      io.out(JSON.stringify(task === 'webnlg' ? await evalWebnlg(o) : await evalNlu(task, o)));
    });
}

/** Validation perplexity and test BLEU / METEOR / TER of greedy decodes. */
async function evalWebnlg(o: EvalOptions): Promise<Record<string, number | string>> {
  const data = findDataDir('webnlg', [RECIPES.webnlg.files.valid, RECIPES.webnlg.files.test!], o.data);
  const entriesN = o.testEntries ?? 100;
  const validN = o.maxValidExamples ?? 200;
  const dev = requireFile(join(data, RECIPES.webnlg.files.valid), 'WebNLG dev file');
  const test = requireFile(join(data, RECIPES.webnlg.files.test!), 'WebNLG test file');
  const { model, tok, dispose } = await loadTuned(o.model, o.adapter);
  try {
    if (!isCausalLm(model)) throw new UsageError(`eval webnlg needs a causal language model (GPT-2); ${o.model} holds a ${model.architecture} ${model.kind}`);
    const limit = model.positionLimit.tokens - 32;
    const validEx = loadWebnlgJson(dev).map((e) => buildWebnlgSequence(tok, e.triples, e.target)).filter((x) => x.inputIds.length <= limit).slice(0, validN);
    const ppl = await perplexity(model, lmSplit(validEx, padId(tok), 'batch'), 8);
    const entries = groupEntries(loadWebnlgJson(test)).slice(0, entriesN);
    const hyps = await decodePrompts(model, tok, entries.map((e) => buildWebnlgSequence(tok, e.triples, [], false)), STOP_TOKENS.webnlg);
    return { 'validation perplexity': ppl.value, ...scoreWebnlgSubset(hyps, entries.map((e) => [...e.references]), entries.map((e) => e.category)) };
  } finally {
    dispose();
  }
}

/** Accuracy (MNLI: matched and mismatched), inputs padded to 512 as the reference. */
async function evalNlu(task: 'sst2' | 'mnli', o: EvalOptions): Promise<Record<string, number>> {
  const files = RECIPES[task].files;
  const data = findDataDir(task, [files.valid, ...(files.test ? [files.test] : [])], o.data);
  const limit = o.maxValidExamples ?? NLU_EVAL_SAMPLES;
  // a checkpoint without a classification head gets a random frozen one drawn from the run's seed (spec §3.6):
  // evaluate with the seed the adapter was trained with
  const seed = o.seed ?? RECIPES[task].seed;
  const valid = requireFile(join(data, files.valid), `${task} validation file`);
  const { model, tok, dispose } = await loadTuned(o.model, o.adapter, { numLabels: task === 'mnli' ? 3 : 2, seed });
  try {
    if (!isClassifier(model)) throw new UsageError(`eval ${task} needs a sequence classifier (RoBERTa); ${o.model} holds a ${model.architecture} ${model.kind}`);
    const length = Math.min(512, model.positionLimit.tokens);
    const load = task === 'sst2' ? loadSst2 : loadMnli;
    const split = (file: string, n: number) =>
      classifierSplit(load(file).slice(0, n).map((e) => buildGlueInput(tok, e, { maxLength: length, padTo: length })), tok.tokenToId('<pad>') ?? 1);
    const out: Record<string, number> = { accuracy: (await accuracyOf(model, split(valid, limit), 16)).value };
    if (task === 'mnli' && files.test) out['accuracy (mismatched)'] = (await accuracyOf(model, split(requireFile(join(data, files.test), 'MNLI mismatched file'), Infinity), 16)).value;
    return out;
  } finally {
    dispose();
  }
}
