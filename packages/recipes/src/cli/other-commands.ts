import { join } from 'node:path';
import { loadAdapter, type ModelSpec } from '@peft/core';
import { scoreCoqa, scoreFiles, scoreWebnlg } from '@peft/eval-metrics';
import { Gpt2Model, RobertaModel, loadModel, loadTokenizer } from '@peft/models-gpt2-roberta';
import { STOP_TOKENS } from '../data/special-tokens.js';
import { buildWebnlgSequence } from '../data/webnlg-sequence.js';
import { buildCoqaSequence } from '../data/coqa-sequence.js';
import { lmSplit } from '../data/batching.js';
import { groupEntries } from '../data/webnlg-examples.js';
import { loadWebnlgJson } from '../data/webnlg-json.js';
import { UsageError } from '../errors.js';
import { classifierSplit } from '../data/batching.js';
import { loadMnli, loadSst2 } from '../data/glue.js';
import { buildGlueInput } from '../data/glue-sequence.js';
import { NLU_EVAL_SAMPLES, RECIPES } from '../recipes.js';
import { accuracyOf } from '../task/nlu.js';
import { presetRegistry } from '../presets.js';
import { addTaskTokens, decodePrompts, loadTaskEmbeddings, padId, perplexity, type NlgTokenizer } from '../task/nlg.js';
import { dataRoot, requireFile } from './paths.js';
import { scoreWebnlgSubset } from './scores.js';
import type { Options } from './args.js';

/** GPT-2 small and RoBERTa-base shapes, for counting a preset's parameters without a checkpoint. */
const GPT2_SMALL: ModelSpec = { architecture: 'gpt2', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072 };
const ROBERTA_BASE: ModelSpec = { architecture: 'roberta', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072 };
const BASE_COUNTS = { gpt2: 124_439_808, roberta: 124_645_632 };

/** `peft presets`: every preset with its trainable-parameter count on GPT-2 small / RoBERTa-base. */
export function presetsCommand(): string {
  const rows = ['preset\tfamily\tmodel\ttrainable\t% of base\tdescription'];
  for (const [name, p] of Object.entries(presetRegistry())) {
    const spec = p.family === 'nlg' ? GPT2_SMALL : ROBERTA_BASE;
    const inst = p.build().init(spec, { seed: 0 });
    const n = inst.params.count();
    inst.dispose();
    const pct = (100 * n) / BASE_COUNTS[spec.architecture];
    rows.push(`${name}\t${p.family}\t${p.family === 'nlg' ? 'gpt2 (small)' : 'roberta-base'}\t${n}\t${pct.toFixed(3)}\t${p.description ?? p.build().describe()}`);
  }
  return rows.join('\n');
}

/** `peft metrics bleu|ter|meteor|webnlg|coqa …`: one JSON object. */
export function metricsCommand(kind: string | undefined, o: Options): unknown {
  switch (kind) {
    case 'bleu':
    case 'ter':
    case 'meteor': {
      const hyp = o.required('hyp');
      const refs = o.strings('ref');
      if (!refs.length) throw new UsageError(`peft metrics ${kind} needs at least one --ref FILE`);
      const lc = o.flag('lc');
      o.checkAllUsed(`metrics ${kind}`);
      return scoreFiles({ metric: kind, hyp, refs, lowercase: lc });
    }
    case 'webnlg': {
      const hyp = o.required('hyp');
      const data = o.string('data');
      o.checkAllUsed('metrics webnlg');
      const dir = data ?? join(dataRoot(), 'webnlg', 'webnlg_challenge_2017');
      return scoreWebnlg({ hyp, dataDir: dir });
    }
    case 'coqa': {
      const dataFile = o.required('data');
      const predFile = o.required('pred');
      o.checkAllUsed('metrics coqa');
      return scoreCoqa({ dataFile, predFile });
    }
    default:
      throw new UsageError(`peft metrics needs one of bleu, ter, meteor, webnlg, coqa (got ${kind ? `'${kind}'` : 'nothing'})`);
  }
}

async function loadTuned(
  modelDir: string,
  adapterDir: string,
  head?: { numLabels: number; seed: number },
): Promise<{ model: Gpt2Model | RobertaModel; tok: NlgTokenizer; dispose: () => void }> {
  const model = await loadModel(modelDir, head ?? {});
  const tok = (await loadTokenizer(modelDir)) as unknown as NlgTokenizer;
  try {
    if (model instanceof Gpt2Model) {
      addTaskTokens(model, tok, 0);
      await loadTaskEmbeddings(model, adapterDir);
    }
    const tuned = await loadAdapter(adapterDir, model);
    return { model, tok, dispose: () => { tuned.dispose(); model.dispose(); } };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** `peft generate --model DIR --adapter DIR (--triples "s | p | o; …" | --story TEXT --question Q …)`. */
export async function generateCommand(o: Options): Promise<string[]> {
  const modelDir = o.required('model');
  const adapterDir = o.required('adapter');
  const triples = o.strings('triples');
  const story = o.string('story');
  const questions = o.strings('question');
  o.checkAllUsed('generate');
  if (!triples.length && !(story && questions.length)) throw new UsageError('peft generate needs --triples "s | p | o; s | p | o" or --story TEXT --question Q');
  const { model, tok, dispose } = await loadTuned(modelDir, adapterDir);
  try {
    if (!(model instanceof Gpt2Model)) throw new UsageError('peft generate needs a GPT-2 model (NLG)');
    if (triples.length) {
      const prompts = triples.map((t) =>
        buildWebnlgSequence(tok, t.split(';').map((x) => {
          const parts = x.split('|').map((p) => p.trim());
          if (parts.length !== 3) throw new UsageError(`--triples: '${x.trim()}' is not 'subject | property | object'`);
          return { subject: parts[0]!, property: parts[1]!, object: parts[2]! };
        }), [], false),
      );
      return await decodePrompts(model, tok, prompts, STOP_TOKENS.webnlg);
    }
    return await decodePrompts(model, tok, [buildCoqaSequence(tok, story!, questions, [], { withEos: false })], STOP_TOKENS.coqa);
  } finally {
    dispose();
  }
}

/** `peft eval webnlg --model DIR --adapter DIR [--data DIR] [--test-entries N]`: perplexity and test BLEU/METEOR/TER. */
export async function evalCommand(task: string | undefined, o: Options): Promise<Record<string, number | string>> {
  if (task === 'sst2' || task === 'mnli') return evalNlu(task, o);
  if (task !== 'webnlg') throw new UsageError(`peft eval supports webnlg, sst2, mnli (got ${task ? `'${task}'` : 'nothing'}); CoQA is scored at the end of peft train`);
  const modelDir = o.required('model');
  const adapterDir = o.required('adapter');
  const data = dataRoot(o.string('data'));
  const entriesN = o.int('test-entries', 1) ?? 100;
  const validN = o.int('max-valid-examples', 1) ?? 200;
  o.checkAllUsed('eval');
  const dev = requireFile(join(data, 'webnlg/webnlg_challenge_2017/dev.json'), 'WebNLG dev file');
  const test = requireFile(join(data, 'webnlg/webnlg_challenge_2017/test.json'), 'WebNLG test file');
  const { model, tok, dispose } = await loadTuned(modelDir, adapterDir);
  try {
    if (!(model instanceof Gpt2Model)) throw new UsageError('peft eval webnlg needs a GPT-2 model');
    const limit = model.config.nPositions - 32;
    const validEx = loadWebnlgJson(dev).map((e) => buildWebnlgSequence(tok, e.triples, e.target)).filter((x) => x.inputIds.length <= limit).slice(0, validN);
    const ppl = await perplexity(model, lmSplit(validEx, padId(tok), 'batch'), 8);
    const entries = groupEntries(loadWebnlgJson(test)).slice(0, entriesN);
    const hyps = await decodePrompts(model, tok, entries.map((e) => buildWebnlgSequence(tok, e.triples, [], false)), STOP_TOKENS.webnlg);
    return { 'validation perplexity': ppl.value, ...scoreWebnlgSubset(hyps, entries.map((e) => [...e.references])) };
  } finally {
    dispose();
  }
}

/** `peft eval sst2|mnli --model DIR --adapter DIR [--data DIR] [--max-valid-examples N] [--seed N]`: accuracy (MNLI: matched and mismatched). */
async function evalNlu(task: 'sst2' | 'mnli', o: Options): Promise<Record<string, number>> {
  const modelDir = o.required('model');
  const adapterDir = o.required('adapter');
  const data = dataRoot(o.string('data'));
  const limit = o.int('max-valid-examples', 1) ?? NLU_EVAL_SAMPLES;
  // a checkpoint without a classification head gets a random frozen one drawn from the run's seed (spec §3.6):
  // evaluate with the seed the adapter was trained with
  const seed = o.int('seed', 0) ?? RECIPES[task].seed;
  o.checkAllUsed('eval');
  const files = RECIPES[task].files;
  const valid = requireFile(join(data, files.valid), `${task} validation file`);
  const { model, tok, dispose } = await loadTuned(modelDir, adapterDir, { numLabels: task === 'mnli' ? 3 : 2, seed });
  try {
    if (!(model instanceof RobertaModel)) throw new UsageError(`peft eval ${task} needs a RoBERTa model`);
    const length = Math.min(512, model.config.maxPositions - 2);
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
