import type { TaskName } from '@peft/recipes';

/** One column of the paper's tables: a metric of one task's metrics.json. */
export interface ReportColumn {
  readonly task: TaskName;
  /** The key in the run's metrics.json. */
  readonly key: string;
  /** Header, as the paper labels it. */
  readonly label: string;
  /** Shown ×scale (accuracies in percent, as in the paper). */
  readonly scale: number;
  readonly higherIsBetter: boolean;
}

const webnlg = (metric: 'BLEU' | 'METEOR' | 'TER', split: 'S' | 'U' | 'A'): ReportColumn => ({
  task: 'webnlg',
  key: split === 'A' ? metric : `${metric} (${split === 'S' ? 'seen' : 'unseen'})`,
  label: `WebNLG ${metric} ${split}`,
  scale: 1,
  higherIsBetter: metric !== 'TER',
});

/**
 * The columns of the paper's tables: WebNLG BLEU / METEOR / TER on seen (S), unseen (U) and all (A) categories and
 * CoQA EM / F1 for GPT-2; MNLI matched / mismatched and SST-2 accuracy for RoBERTa.
 */
export const REPORT_COLUMNS: readonly ReportColumn[] = [
  ...(['BLEU', 'METEOR', 'TER'] as const).flatMap((m) => (['S', 'U', 'A'] as const).map((s) => webnlg(m, s))),
  { task: 'coqa', key: 'EM', label: 'CoQA EM', scale: 1, higherIsBetter: true },
  { task: 'coqa', key: 'F1', label: 'CoQA F1', scale: 1, higherIsBetter: true },
  { task: 'mnli', key: 'accuracy', label: 'MNLI-m', scale: 100, higherIsBetter: true },
  { task: 'mnli', key: 'accuracy (mismatched)', label: 'MNLI-mm', scale: 100, higherIsBetter: true },
  { task: 'sst2', key: 'accuracy', label: 'SST-2', scale: 100, higherIsBetter: true },
];
