import { CHART_FONT_FAMILY } from '@peft/recipes';
import type { SweepReport } from './report.js';

/** A Vega-Lite v5 specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

/** One plotted point: a method's mean ± sd for one metric. */
export interface ChartDatum {
  readonly metric: string;
  readonly method: string;
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly n: number;
  readonly role: 'reference' | 'significant' | 'not significant';
}

/** The report's cells as chart data, in table order. */
export function chartData(r: SweepReport): ChartDatum[] {
  const out: ChartDatum[] = [];
  for (const t of r.tables) {
    for (const c of t.columns) {
      for (const row of t.rows) {
        const cell = row.cells[c.label];
        if (!cell) continue;
        const sd = cell.sd ?? 0;
        out.push({
          metric: `${c.label}${c.higherIsBetter ? ' ↑' : ' ↓'}`,
          method: row.method,
          mean: cell.mean,
          low: cell.mean - sd,
          high: cell.mean + sd,
          n: cell.values.length,
          role: row.reference ? 'reference' : cell.significant ? 'significant' : 'not significant',
        });
      }
    }
  }
  return out;
}

/**
 * The report as a Vega-Lite chart: one panel per metric (own axes: each shows the methods that have that metric), one point per method at its mean with a bar
 * of ± one standard deviation, coloured by reference / significantly different / not.
 */
export function reportChartSpec(r: SweepReport): VegaLiteSpec {
  const data = chartData(r);
  const metrics = [...new Set(data.map((d) => d.metric))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `Sweep '${r.sweep}': mean ± sd over seeds`, subtitle: `colour: against the reference method, two-sided Welch t-test at p < ${r.alpha}` },
    data: { values: data },
    facet: { field: 'metric', type: 'nominal', sort: metrics, title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    columns: Math.min(3, metrics.length),
    spec: {
      width: 220,
      height: 160,
      encoding: {
        x: { field: 'method', type: 'nominal', title: null, sort: null, axis: { labelAngle: -30, labelAlign: 'right' } },
        tooltip: [
          { field: 'method' },
          { field: 'mean', format: '.4f' },
          { field: 'n', title: 'seeds' },
        ],
      },
      layer: [
        { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: { field: 'low', type: 'quantitative', scale: { zero: false }, title: null }, y2: { field: 'high' }, color: { field: 'role', type: 'nominal', scale: { domain: ['reference', 'significant', 'not significant'], range: ['#1f77b4', '#d62728', '#7f7f7f'] }, title: null } } },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { y: { field: 'mean', type: 'quantitative' }, color: { field: 'role', type: 'nominal' } } },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: { font: CHART_FONT_FAMILY },
  };
}
