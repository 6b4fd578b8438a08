import { join } from 'node:path';
import { attach, writeFileAtomic, type TunedModel } from '@peft/core';
import { DataFormatError } from '../errors.js';
import type { TunableCausalLm } from '@peft/models-base';
import { lmSplit } from '../data/batching.js';
import { loadCoqa } from '../data/coqa.js';
import { buildCoqaSequence } from '../data/coqa-sequence.js';
import type { LmExample } from '../data/lm-example.js';
import { readJsonFile } from '../data/read-file.js';
import { STOP_TOKENS } from '../data/special-tokens.js';
import { groupEntries, type WebnlgEntry, type WebnlgExample } from '../data/webnlg-examples.js';
import { loadWebnlgJson } from '../data/webnlg-json.js';
import { buildWebnlgSequence } from '../data/webnlg-sequence.js';
import { getPreset } from '../presets.js';
import { checkpointBlocksFor } from './checkpoint-blocks.js';
import { addTaskTokens, decodePrompts, nlgTrainable, padId, perplexity, saveTaskEmbeddings, type NlgTokenizer } from '../task/nlg.js';
import { scoreCoqaPredictions, scoreWebnlgSubset } from './scores.js';
import { loopSteps } from './loop-steps.js';
import type { Prepared, RunContext } from './run-context.js';

/** WebNLG / CoQA on GPT-2: task tokens, spec §7 sequences, the method, perplexity, greedy decoding and scores. */
export function prepareNlg(ctx: RunContext, model: TunableCausalLm, tok: NlgTokenizer): Prepared {
  const { s, recipe, presetName, seed, log, files, batchSize, loopBase, totalFor } = ctx;
  addTaskTokens(model, tok, seed);
  const limit = Math.min(s.maxLength ?? Infinity, model.positionLimit.tokens - 32);
  let skipped = 0;
  let trainSkipped = 0;
  const fit = (xs: LmExample[], max = Infinity): LmExample[] => {
    const out: LmExample[] = [];
    for (const x of xs) {
      if (out.length >= max) break;
      if (x.inputIds.length > limit) skipped++;
      else out.push(x);
    }
    return out;
  };
  let trainEx: LmExample[];
  let validEx: LmExample[];
  let testPrompts: { prompts: LmExample[]; refs: string[][]; categories?: string[]; ids?: { id: string; turn_id: number }[] } | null = null;
  let coqaGold: unknown = null;
  let trainEntries: WebnlgEntry[] = [];
  if (s.task === 'webnlg') {
    const seq = (e: WebnlgExample): LmExample => buildWebnlgSequence(tok, e.triples, e.target);
    const trainRaw = loadWebnlgJson(files.train);
    const trainSeq = lazyMap(trainRaw, seq, s.maxTrainExamples, limit);
    trainEx = fit(trainSeq, s.maxTrainExamples);
    trainSkipped = skipped;
    // the entries of the examples trained on, with the targets trained on as references (for trainingSubsetBleu)
    const kept = new Set(trainEx);
    trainEntries = groupEntries(trainRaw.slice(0, trainSeq.length).filter((_, i) => kept.has(trainSeq[i]!)));
    validEx = fit(lazyMap(loadWebnlgJson(files.valid), seq, s.maxValidExamples, limit), s.maxValidExamples);
    if (files.test) {
      const entries = groupEntries(loadWebnlgJson(files.test)).slice(0, s.testEntries ?? Infinity);
      testPrompts = { prompts: entries.map((e) => buildWebnlgSequence(tok, e.triples, [], false)), refs: entries.map((e) => [...e.references]), categories: entries.map((e) => e.category) };
    }
  } else {
    const seq = (t: { story: string; history: readonly string[]; answer: string }): LmExample => buildCoqaSequence(tok, t.story, t.history, t.answer);
    trainEx = fit(loadCoqa(files.train).map(seq), s.maxTrainExamples);
    trainSkipped = skipped;
    const dev = loadCoqa(files.valid);
    validEx = fit(dev.map(seq), s.maxValidExamples);
    // decode every turn of the first N dev stories, scored by the official CoQA evaluation on those stories
    const devDoc = readJsonFile(files.valid) as { version?: string; data: { id: string }[] };
    const stories = devDoc.data.slice(0, s.testEntries ?? 20);
    const keep = new Set(stories.map((x) => x.id));
    const turns = dev.filter((t) => keep.has(t.storyId));
    coqaGold = { version: devDoc.version ?? '1.0', data: stories };
    scoreCoqaPredictions(coqaGold, []); // checks the gold format now, before any training
    testPrompts = {
      prompts: turns.map((t) => buildCoqaSequence(tok, t.story, t.history, [], { withEos: false })),
      refs: turns.map((t) => [...t.goldAnswers]),
      ids: turns.map((t) => ({ id: t.storyId, turn_id: t.turnId })),
    };
  }
  if (!trainEx.length) {
    throw new DataFormatError(
      files.train,
      0,
      trainSkipped > 0
        ? `no ${s.task} training example fits in ${limit} tokens (${trainSkipped} longer ones skipped${s.maxLength !== undefined ? '; raise --max-length' : ''})`
        : `holds no ${s.task} training example`,
    );
  }
  const pad = padId(tok);
  const train = lmSplit(trainEx, pad, s.padding ?? 'global');
  const valid = lmSplit(validEx, pad, s.padding ?? 'global');
  const tuned: TunedModel = attach(model, getPreset(presetName).build(), { seed });
  const trainable = nlgTrainable(model, tuned, s.labelSmoothing ?? recipe.labelSmoothing, checkpointBlocksFor(s.checkpointBlocks));
  const table = tuned.trainableParameters();
  const taskRows = model.extraTrainables().count();
  return {
    trainSize: trainEx.length,
    totalSteps: totalFor(trainEx.length),
    skipped,
    parameters: { trained: table.total, stored: table.stored, base: model.baseParameterCount(), extraTrained: taskRows },
    trainSteps: loopSteps(loopBase, trainable, train, () => perplexity(model, valid, Math.max(batchSize, 8))),
    ...(s.task === 'webnlg'
      ? {
          trainingSubsetBleu: async () => {
            const prompts = trainEntries.map((e) => buildWebnlgSequence(tok, e.triples, [], false));
            const hyps = await decodePrompts(model, tok, prompts, STOP_TOKENS.webnlg);
            return { bleu: scoreWebnlgSubset(hyps, trainEntries.map((e) => [...e.references])).BLEU!, entries: trainEntries.length, examples: trainEx.length, sample: hyps[0] ?? '' };
          },
        }
      : {}),
    saveAdapter: async (dir) => {
      await tuned.save(dir);
      await saveTaskEmbeddings(model, dir);
    },
    evaluate: async (outDir) => {
      const metrics: Record<string, number | string> = { 'validation perplexity (last)': (await perplexity(model, valid, Math.max(batchSize, 8))).value };
      if (testPrompts && testPrompts.prompts.length) {
        log(`decoding ${testPrompts.prompts.length} ${s.task === 'webnlg' ? 'test entries' : 'dev turns'} (greedy, ≤ 40 tokens)…`);
        const hyps = await decodePrompts(model, tok, testPrompts.prompts, STOP_TOKENS[s.task as 'webnlg' | 'coqa']);
        await writeFileAtomic(join(outDir, 'hypotheses.txt'), hyps.join('\n') + '\n');
        if (s.task === 'webnlg') Object.assign(metrics, scoreWebnlgSubset(hyps, testPrompts.refs, testPrompts.categories));
        else {
          const preds = testPrompts.ids!.map((k, i) => ({ ...k, answer: hyps[i]! }));
          await writeFileAtomic(join(outDir, 'predictions.json'), JSON.stringify(preds, null, 1) + '\n');
          Object.assign(metrics, scoreCoqaPredictions(coqaGold, preds));
        }
      }
      return metrics;
    },
    dispose: () => {
      tuned.dispose();
      model.dispose();
    },
  };
}

/** Maps lazily and stops early once `max` results fit (saves tokenising all of WebNLG for a small subset). */
function lazyMap<A>(xs: readonly A[], f: (a: A) => LmExample, max: number | undefined, limit: number): LmExample[] {
  if (max === undefined) return xs.map(f);
  const out: LmExample[] = [];
  let fitting = 0;
  for (const x of xs) {
    const y = f(x);
    out.push(y);
    if (y.inputIds.length <= limit && ++fitting >= max) break;
  }
  return out;
}
