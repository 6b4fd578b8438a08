import { resolve } from 'node:path';
import { Argument, Command } from 'commander';
import { TASKS, type TaskName } from '../recipes.js';
import { useTrainingBackend } from './backend.js';
import type { CliIo } from './option-parsers.js';
import { TrainEventLog } from '../train/events.js';
import { classifyError } from './error-kind.js';
import { runTrain, type TrainSummary } from './train.js';
import { trainOptions, trainOptionValues, trainSettings } from './train-options.js';

/** `peft train <task>`: a preset trained on a task with the spec's recipe (README "peft train"). */
export function registerTrainCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('train')
    .summary('train a preset on a task with the paper\'s recipe; writes a run folder')
    .description(
      'Trains a preset on a task with the spec\'s recipe (§6) and writes OUT/: the adapter of the best validation ' +
        'epoch, train.jsonl, metrics.json, report.md and the training curves (loss.svg, loss.png). Prints one JSON ' +
        'object on stdout. Defaults marked "the recipe\'s" come from the task: see docs/recipes.md.',
    )
    .addArgument(new Argument('<task>', 'the task').choices(TASKS));
  for (const o of trainOptions()) cmd.addOption(o);
  cmd.action(async (task: TaskName, parsed: Record<string, unknown>, command: Command) => {
    const opts = trainOptionValues(parsed);
    const events = opts.events ? new TrainEventLog(resolve(opts.events)) : undefined;
    try {
      const settings = { ...trainSettings(task, opts), commandLine: (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [] };
      const r = await runTrain({ ...settings, ...(await useTrainingBackend(settings, io.err)), log: io.err, ...(events ? { events } : {}) });
      io.out(JSON.stringify(summaryJson(r)));
    } catch (e) {
      events?.emit({ type: 'failed', kind: classifyError(e).kind, code: (e as { code?: string }).code ?? null, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      events?.close();
    }
  });
}

/** The JSON line `peft train` and `peft demo` print. */
export function summaryJson(r: TrainSummary): Record<string, unknown> {
  return { out: r.out, steps: r.steps, first_loss: r.firstLoss, last_loss: r.lastLoss, metrics: r.metrics };
}

