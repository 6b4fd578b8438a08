import type { TopLevelSpec } from 'vega-lite';

/** What a training run logged, for its chart. */
export interface TrainingCurves {
  readonly title: string;
  readonly subtitle?: string;
  /** One point per optimizer step. */
  readonly steps: readonly { readonly step: number; readonly loss: number; readonly lr: number }[];
  /** One point per evaluation, at the optimizer step it followed. */
  readonly validations: readonly { readonly step: number; readonly value: number }[];
  /** What the validation measured: `perplexity` (NLG) or `accuracy` (NLU). */
  readonly validationName: string;
}

/** Steps in the trailing mean of the smoothed loss: about a twentieth of the run, at least 1. */
export function smoothingWindow(steps: number): number {
  return Math.max(1, Math.round(steps / 20));
}

const WIDTH = 560;

/**
 * The run's chart as a Vega-Lite spec, three panels over one step axis: the training loss per step with its trailing
 * mean, the validation metric at each evaluation, and the learning rate. One legend names every line.
 */
export function trainingChartSpec(c: TrainingCurves): TopLevelSpec {
  const window = smoothingWindow(c.steps.length);
  const series = {
    loss: 'loss per step',
    smoothed: window > 1 ? `loss, mean of the last ${window} steps` : 'loss (no smoothing: too few steps)',
    validation: `validation ${c.validationName}`,
    lr: 'learning rate',
  };
  const lastStep = Math.max(1, ...c.steps.map((s) => s.step), ...c.validations.map((v) => v.step));
  const x = { field: 'step', type: 'quantitative', title: 'optimizer step', scale: { domain: [0, lastStep], nice: false } } as const;
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: Object.values(series), range: ['#9ecae1', '#08519c', '#d62728', '#2ca02c'] },
    legend: { orient: 'bottom', direction: 'horizontal', columns: 2, labelLimit: 360, symbolType: 'stroke', symbolStrokeWidth: 3 },
  } as const;
  const values = c.validations.map((v) => v.value).filter((v) => Number.isFinite(v) && v > 0);
  const logValidation = values.length > 1 && Math.max(...values) / Math.min(...values) > 10;
  const panels: Record<string, unknown>[] = [
    {
      title: 'Training loss',
      width: WIDTH,
      height: 200,
      data: { values: c.steps.map((s) => ({ step: s.step, loss: s.loss })) },
      transform: [
        { window: [{ op: 'mean', field: 'loss', as: 'smoothed' }], frame: [-(window - 1), 0], sort: [{ field: 'step' }] },
        { fold: ['loss', 'smoothed'], as: ['key', 'value'] },
        { calculate: `datum.key === 'loss' ? '${series.loss}' : '${series.smoothed.replace(/'/g, "\\'")}'`, as: 'series' },
      ],
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'loss', scale: { zero: false } },
        color,
        strokeWidth: { condition: { test: `datum.key === 'smoothed'`, value: 2.5 }, value: 1.2 },
        order: { field: 'key' },
      },
    },
  ];
  if (c.validations.length) {
    panels.push({
      title: `Validation ${c.validationName}`,
      width: WIDTH,
      height: 140,
      data: { values: c.validations.map((v) => ({ step: v.step, value: v.value, series: series.validation })) },
      mark: { type: 'line', point: { size: 30, filled: true } },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: `${c.validationName}${logValidation ? ' (log scale)' : ''}`, scale: logValidation ? { type: 'log' } : { zero: false } },
        color,
      },
    });
  }
  panels.push({
    title: 'Learning rate',
    width: WIDTH,
    height: 110,
    data: { values: c.steps.map((s) => ({ step: s.step, lr: s.lr, series: series.lr })) },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x,
      y: { field: 'lr', type: 'quantitative', title: 'learning rate', axis: { format: '.1~e' } },
      color,
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: c.title, ...(c.subtitle ? { subtitle: c.subtitle } : {}), anchor: 'start', fontSize: 16 },
    vconcat: panels,
    spacing: 24,
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
    config: { view: { stroke: '#ccc' }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 13 }, legend: { labelFontSize: 12 } },
    background: 'white',
    padding: 12,
  } as unknown as TopLevelSpec;
}
