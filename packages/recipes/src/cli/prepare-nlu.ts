import { attach, ConfigError, type TunedModel } from '@peft/core';
import { DataFormatError } from '../errors.js';
import type { TunableClassifier } from '@peft/models-base';
import { classifierSplit } from '../data/batching.js';
import { loadMnli, loadSst2, type GlueExample } from '../data/glue.js';
import { buildGlueInput } from '../data/glue-sequence.js';
import type { TextTokenizer } from '../data/tokenizer.js';
import { getPreset } from '../presets.js';
import { NLU_EVAL_SAMPLES } from '../recipes.js';
import { accuracyOf, nluTrainable } from '../task/nlu.js';
import { checkpointBlocksFor } from './checkpoint-blocks.js';
import { loopSteps } from './loop-steps.js';
import type { ParameterCounts, Prepared, RunContext } from './run-context.js';

/** The method's counts; anything else the loop trains (nothing, with the frozen head) counts as extra. */
function parameterCounts(tuned: TunedModel, loopTotal: number): ParameterCounts {
  const t = tuned.trainableParameters();
  return { trained: t.total, stored: t.stored, base: tuned.model.baseParameterCount(), extraTrained: loopTotal - t.total };
}

/** SST-2 / MNLI on RoBERTa: GLUE inputs, the method on the frozen head, accuracy. */
export function prepareNlu(ctx: RunContext, model: TunableClassifier, tok: TextTokenizer): Prepared {
  const { s, presetName, seed, files, batchSize, loopBase, totalFor } = ctx;
  const load = s.task === 'sst2' ? loadSst2 : loadMnli;
  const maxLen = Math.min(512, model.positionLimit.tokens); // (RoBERTa's: its positions start after the padding index)
  const length = Math.min(maxLen, s.maxLength ?? Infinity);
  // 'global' padding is the reference's padding="max_length" (every example padded to 512, or the model's limit); it
  // matters numerically, because the faithful inducer's λ counts padded keys (spec §3.2)
  const padTo = (s.padding ?? 'global') === 'global' ? length : undefined;
  const toInput = (e: GlueExample) => buildGlueInput(tok, e, { maxLength: length, ...(padTo ? { padTo } : {}) });
  const trainEx = load(files.train).slice(0, s.maxTrainExamples ?? Infinity).map(toInput);
  const validEx = load(files.valid).slice(0, s.maxValidExamples ?? NLU_EVAL_SAMPLES).map(toInput);
  const mm = s.task === 'mnli' && files.test ? load(files.test).slice(0, s.maxValidExamples ?? Infinity).map(toInput) : null;
  if (!trainEx.length) throw new DataFormatError(files.train, 0, 'holds no training example');
  for (const [file, xs] of [[files.train, trainEx], [files.valid, validEx]] as const) {
    const bad = xs.find((x) => x.label >= model.numLabels);
    if (bad) throw new ConfigError('label', `${file}: label ${bad.label} but the model's head has ${model.numLabels} classes`);
  }
  const pad = tok.tokenToId('<pad>') ?? 1;
  const train = classifierSplit(trainEx, pad, s.padding ?? 'global');
  const valid = classifierSplit(validEx, pad, s.padding ?? 'global');
  const tuned: TunedModel = attach(model, getPreset(presetName).build(), { seed });
  const trainable = nluTrainable(model, tuned, checkpointBlocksFor(s.checkpointBlocks));
  return {
    trainSize: trainEx.length,
    totalSteps: totalFor(trainEx.length),
    skipped: 0,
    parameters: parameterCounts(tuned, trainable.parameters.reduce((a, [, v]) => a + v.size, 0)),
    trainSteps: loopSteps(loopBase, trainable, train, () => accuracyOf(model, valid, Math.max(batchSize, 16))),
    saveAdapter: (dir) => tuned.save(dir),
    evaluate: async () => {
      const m: Record<string, number | string> = { accuracy: (await accuracyOf(model, valid, Math.max(batchSize, 16))).value };
      if (mm) m['accuracy (mismatched)'] = (await accuracyOf(model, classifierSplit(mm, pad, 'batch'), 16)).value;
      return m;
    },
    dispose: () => {
      tuned.dispose();
      model.dispose();
    },
  };
}
