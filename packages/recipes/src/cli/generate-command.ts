import type { Command } from 'commander';
import { ConfigError } from '@peft/core';
import { isCausalLm, type TunableCausalLm } from '@peft/models-base';
import { buildCoqaSequence } from '../data/coqa-sequence.js';
import { STOP_TOKENS } from '../data/special-tokens.js';
import { buildWebnlgSequence } from '../data/webnlg-sequence.js';
import { UsageError } from '../errors.js';
import { decodePrompts } from '../task/nlg.js';
import { useBackend } from './backend.js';
import { loadTuned } from './load-tuned.js';
import { repeatableParser, valueOption, type CliIo } from './option-parsers.js';

interface GenerateOptions {
  model: string;
  adapter: string;
  triples: string[];
  story?: string;
  question: string[];
}

/** `peft generate`: greedy decoding with a saved adapter, one line per WebNLG triple set, or CoQA answers. */
export function registerGenerateCommand(program: Command, io: CliIo): void {
  program
    .command('generate')
    .summary('generate text with a saved GPT-2 adapter (WebNLG triples or a CoQA story)')
    .description('Greedy decoding (spec §8.1) with a saved adapter: one line per --triples, or the answer to a CoQA story and its questions.')
    .addOption(valueOption('--model <dir>', 'the GPT-2 checkpoint folder the adapter was trained on').makeOptionMandatory())
    .addOption(valueOption('--adapter <dir>', 'the adapter folder (a run\'s OUT/adapter)').makeOptionMandatory())
    .addOption(valueOption('--triples <text>', 'a WebNLG triple set "subject | property | object; …"', { parse: repeatableParser('text'), defaultValue: [] }))
    .addOption(valueOption('--story <text>', 'a CoQA story'))
    .addOption(valueOption('--question <text>', 'a question about --story (the conversation so far, in order)', { parse: repeatableParser('text'), defaultValue: [] }))
    .action(async (o: GenerateOptions) => {
      if (!o.triples.length && !(o.story && o.question.length)) throw new UsageError('generate needs --triples "s | p | o; s | p | o" or --story TEXT --question Q');
      await useBackend(io.err);
      for (const line of await generate(o)) io.out(line);
    });
}

/** A prompt that leaves the model no position to generate at is the user's input error, not an empty line of output. */
function checkPromptFits(model: TunableCausalLm, tokens: number, flag: string, modelDir: string): void {
  const { tokens: limit, field } = model.positionLimit;
  const room = limit - (model.method?.positionOffset ?? 0);
  if (tokens < room) return;
  throw new ConfigError(
    flag,
    `the prompt is ${tokens} tokens, and the model reads at most ${room} (${field} ${limit} of ${modelDir}/config.json${room < limit ? ', less the adapter\'s prefix' : ''}): no position is left to generate at; shorten it`,
  );
}

async function generate(o: GenerateOptions): Promise<string[]> {
  const { model, tok, dispose } = await loadTuned(o.model, o.adapter);
  try {
    if (!isCausalLm(model)) throw new UsageError(`generate needs a causal language model (NLG); ${o.model} holds a ${model.architecture} ${model.kind}`);
    if (o.triples.length) {
      const prompts = o.triples.map((t) =>
        buildWebnlgSequence(tok, t.split(';').map((x) => {
          const parts = x.split('|').map((p) => p.trim());
          if (parts.length !== 3) throw new UsageError(`--triples: '${x.trim()}' is not 'subject | property | object'`);
          return { subject: parts[0]!, property: parts[1]!, object: parts[2]! };
        }), [], false),
      );
      prompts.forEach((p, i) => checkPromptFits(model, p.inputIds.length, o.triples.length > 1 ? `--triples #${i + 1}` : '--triples', o.model));
      return await decodePrompts(model, tok, prompts, STOP_TOKENS.webnlg);
    }
    const prompt = buildCoqaSequence(tok, o.story!, o.question, [], { withEos: false });
    checkPromptFits(model, prompt.inputIds.length, '--story and --question', o.model);
    return await decodePrompts(model, tok, [prompt], STOP_TOKENS.coqa);
  } finally {
    dispose();
  }
}
