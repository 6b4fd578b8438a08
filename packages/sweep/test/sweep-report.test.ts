import { describe, expect, it } from 'vitest';
import { chartData, reportChartSpec } from '../src/chart-spec.js';
import type { FinishedRun } from '../src/collect.js';
import { planSweep } from '../src/plan.js';
import { buildReport, renderReportMarkdown } from '../src/report.js';
import { parseSweep } from '../src/sweep-file.js';

// Accuracies per seed (42, 2, 4) chosen so that, against nlu-inducer-lora (SST-2 94.1, 94.5, 94.3 %), he-mam-glue is
// significantly lower and nlu-inducer-mam is not. SciPy ttest_ind(equal_var=False), % values:
//   [94.1, 94.5, 94.3] vs [93.0, 93.2, 93.1] → p = 0.002854418085115542; vs [94.0, 94.6, 93.9] → p = 0.6266905625275858
const SST2: Record<string, number[]> = { 'nlu-inducer-lora': [94.1, 94.5, 94.3], 'he-mam-glue': [93.0, 93.2, 93.1], 'nlu-inducer-mam': [94.0, 94.6, 93.9] };

const spec = parseSweep({ name: 'synthetic', out: '/runs', model: { nlu: '/r', nlg: '/g' }, tasks: { sst2: { presets: Object.keys(SST2), seeds: [42, 2, 4] }, webnlg: { presets: ['inducer-lora', 'lora-54'], seeds: [1, 2] } } }, '/x/s.yaml');
const jobs = planSweep(spec);
const runs: FinishedRun[] = jobs
  .filter((j) => !(j.preset === 'lora-54' && j.seed === 2)) // one run not finished
  .map((j): FinishedRun => ({
    job: j,
    metrics:
      j.task === 'sst2'
        ? ({ accuracy: SST2[j.preset]![[42, 2, 4].indexOf(j.seed)]! / 100 } as Record<string, number>)
        : { BLEU: j.preset === 'inducer-lora' ? 55 + j.seed : 54, 'BLEU (seen)': 60, METEOR: 0.4, TER: 0.41, 'test entries': 40 },
  }));

describe('sweep report', () => {
  const report = buildReport({ sweep: 'synthetic', jobs, runs, missing: ['webnlg-lora-54-s2'], params: new Map([['nlu-inducer-lora', { stored: 609_000, base: 124_645_632, percent: 0.4886 }]]) });

  it('one table per family, one row per method, columns of the tasks swept that have values; means, sample sds and Welch marks', () => {
    expect(report.tables.map((t) => t.family)).toEqual(['nlg', 'nlu']);
    const nlu = report.tables[1]!;
    expect(nlu.reference).toBe('nlu-inducer-lora');
    expect(nlu.columns.map((c) => c.label)).toEqual(['SST-2']);
    expect(nlu.rows.map((r) => r.method)).toEqual(['nlu-inducer-lora', 'he-mam-glue', 'nlu-inducer-mam']);
    const ref = nlu.rows[0]!.cells['SST-2']!;
    expect(ref.mean).toBeCloseTo(94.3, 10);
    expect(ref.sd!).toBeCloseTo(0.2, 10);
    expect(ref.test).toBeNull();
    const mam = nlu.rows[1]!.cells['SST-2']!;
    expect(mam.values.map((v) => +v.toFixed(10))).toEqual([93, 93.2, 93.1]);
    expect(mam.test!.p / 0.002854418085115542).toBeCloseTo(1, 6);
    expect(mam.significant).toBe(true);
    expect(nlu.rows[2]!.cells['SST-2']!.test!.p / 0.6266905625275858).toBeCloseTo(1, 6);
    expect(nlu.rows[2]!.cells['SST-2']!.significant).toBe(false);
    const nlg = report.tables[0]!;
    // WebNLG S (seen) has values; U (unseen) has none in any run and is left out
    expect(nlg.columns.map((c) => c.label)).toEqual(['WebNLG BLEU S', 'WebNLG BLEU A', 'WebNLG METEOR A', 'WebNLG TER A']);
    expect(nlg.rows[1]!.cells['WebNLG BLEU A']!.values).toEqual([54]);
    expect(nlg.rows[1]!.cells['WebNLG BLEU A']!.test).toBeNull(); // one seed: not testable
  });

  it('Markdown: the table with mean ± sd, †, the reference, stored parameters and the runs left out', () => {
    const md = renderReportMarkdown(report);
    expect(md).toContain('| method | stored params (% of base) | SST-2 ↑ |');
    expect(md).toContain('| nlu-inducer-lora (ref.) | 609,000 (0.489 %) | 94.30 ± 0.20 |');
    expect(md).toContain('| he-mam-glue | – | 93.10 ± 0.10 † |');
    expect(md).toContain('| nlu-inducer-mam | – | 94.17 ± 0.38 |');
    expect(md).toContain('| lora-54 | – | 60.00 (1) | 54.00 (1) | 0.400 (1) | 0.410 (1) |');
    expect(md).toMatch(/WebNLG TER A ↓/);
    expect(md).toContain('Not finished (left out): webnlg-lora-54-s2.');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report); // JSON as written by peft sweep report
  });

  it('--against picks the reference per family', () => {
    const r = buildReport({ sweep: 's', jobs, runs, against: ['he-mam-glue'] });
    expect(r.tables[1]!.reference).toBe('he-mam-glue');
    expect(r.tables[0]!.reference).toBe('inducer-lora');
    expect(r.tables[1]!.rows[0]!.cells['SST-2']!.significant).toBe(true);
  });

  it('the Vega-Lite chart: one panel per metric with its own y scale, a point at each mean and a rule over ± sd', () => {
    const spec = reportChartSpec(report) as { data: { values: ReturnType<typeof chartData> }; facet: { field: string; sort: string[] }; resolve: unknown; spec: { layer: { mark: { type: string } }[] } };
    expect(spec.facet.field).toBe('metric');
    expect(spec.facet.sort).toEqual(['WebNLG BLEU S ↑', 'WebNLG BLEU A ↑', 'WebNLG METEOR A ↑', 'WebNLG TER A ↓', 'SST-2 ↑']);
    expect(spec.resolve).toEqual({ scale: { x: 'independent', y: 'independent' } });
    expect(spec.spec.layer.map((l) => l.mark.type)).toEqual(['rule', 'point']);
    const mam = spec.data.values.find((d) => d.metric === 'SST-2 ↑' && d.method === 'he-mam-glue')!;
    expect(mam.mean).toBeCloseTo(93.1, 10);
    expect(mam.low).toBeCloseTo(93.0, 10);
    expect(mam.high).toBeCloseTo(93.2, 10);
    expect(mam.role).toBe('significant');
    expect(spec.data.values.filter((d) => d.metric === 'SST-2 ↑').map((d) => d.role)).toEqual(['reference', 'significant', 'not significant']);
    expect(spec.data.values).toHaveLength(4 * 2 + 3);
  });
});
