import type { Command } from 'commander';
import { storedParameterCount } from '@peft/core';
import { GPT2_SMALL_CONFIG, parseGpt2Config, parseRobertaConfig, ROBERTA_BASE_CONFIG, gpt2Spec, robertaSpec } from '@peft/models-gpt2-roberta';
import { presetRegistry } from '../presets.js';
import { useBackend } from './backend.js';
import { flagOption, type CliIo } from './option-parsers.js';

/** GPT-2 small and RoBERTa-base shapes, for counting a preset's parameters without a checkpoint. */
const GPT2_SMALL = gpt2Spec(parseGpt2Config({ ...GPT2_SMALL_CONFIG }));
const ROBERTA_BASE = robertaSpec(parseRobertaConfig({ ...ROBERTA_BASE_CONFIG }));
/** Spec §5's bases: GPT-2 small, RoBERTa-base with its pooler (the paper's percentages use these). */
export const BASE_COUNTS = { gpt2: 124_439_808, roberta: 124_645_632 } as const;

/** One preset's parameters on the paper's base model. */
export interface PresetRow {
  readonly preset: string;
  readonly family: 'nlg' | 'nlu';
  readonly model: string;
  /** What the adapter file stores (the paper's count), and its share of the base model in percent. */
  readonly stored: number;
  readonly storedPercent: number;
  /** What the optimiser trains (prefix-tuning: with its reparameterisation MLP), and its share. */
  readonly trained: number;
  readonly trainedPercent: number;
  readonly description: string;
}

/** Every preset with its stored and trained parameter counts on GPT-2 small (NLG) / RoBERTa-base (NLU). */
export function presetRows(): PresetRow[] {
  return Object.entries(presetRegistry()).map(([name, p]) => {
    const spec = p.family === 'nlg' ? GPT2_SMALL : ROBERTA_BASE;
    const method = p.build();
    const inst = method.init(spec, { seed: 0 });
    try {
      const trained = inst.params.count();
      const stored = storedParameterCount(inst);
      const base = p.family === 'nlg' ? BASE_COUNTS.gpt2 : BASE_COUNTS.roberta;
      return {
        preset: name, family: p.family, model: p.family === 'nlg' ? 'gpt2 (small)' : 'roberta-base',
        stored, storedPercent: (100 * stored) / base, trained, trainedPercent: (100 * trained) / base,
        description: p.description ?? method.describe(),
      };
    } finally {
      inst.dispose();
    }
  });
}

/** The rows as an aligned text table, with a note on what the two counts are. */
export function presetsTable(rows: readonly PresetRow[]): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const head = ['preset', 'family', 'base model', 'stored', '% of base', 'trained', '% of base', 'method'];
  const body = rows.map((r) => [r.preset, r.family, r.model, n(r.stored), r.storedPercent.toFixed(3), n(r.trained), r.trainedPercent.toFixed(3), r.description]);
  const right = new Set([3, 4, 5, 6]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [
    line(head),
    ...body.map(line),
    '',
    'stored: the parameters the adapter file holds and inference needs, which the paper\'s tables count (spec §5).',
    'trained: every parameter the optimiser updates, as Hugging Face PEFT\'s print_trainable_parameters() counts them;',
    '  larger only where a method trains through a reparameterisation it does not store (prefix-tuning\'s MLP).',
    `% of base: of GPT-2 small (${n(BASE_COUNTS.gpt2)}) or RoBERTa-base with its pooler (${n(BASE_COUNTS.roberta)}).`,
    'GPT-2 runs also train and store the 16 task-token embedding rows (12,288 values), which no count includes.',
  ].join('\n');
}

/** `peft presets [--json]`. */
export function registerPresetsCommand(program: Command, io: CliIo): void {
  program
    .command('presets')
    .summary('list the method presets with their parameters to store and to train')
    .description('Every preset of @peft/mam with the parameters its adapter stores (the paper\'s count) and those it trains, on GPT-2 small / RoBERTa-base.')
    .addOption(flagOption('--json', 'print one JSON array instead of the table'))
    .action(async (o: { json?: boolean }) => {
      await useBackend(io.err);
      const rows = presetRows();
      io.out(o.json ? JSON.stringify(rows) : presetsTable(rows));
    });
}
