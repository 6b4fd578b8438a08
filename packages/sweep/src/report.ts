import { RECIPES } from '@peft/recipes';
import type { FinishedRun } from './collect.js';
import type { ParameterShare } from './parameter-counts.js';
import type { SweepJob } from './plan.js';
import { REPORT_COLUMNS, type ReportColumn } from './report-columns.js';
import { meanSd, welchTTest, type WelchResult } from './statistics.js';

export interface ReportCell {
  /** Per seed, in seed order of the plan (scaled as shown). */
  readonly values: readonly number[];
  readonly seeds: readonly number[];
  readonly mean: number;
  readonly sd: number | null;
  /** Welch's test against the table's reference row (null on the reference row or where it is undefined). */
  readonly test: WelchResult | null;
  readonly significant: boolean;
}

export interface ReportRow {
  readonly method: string;
  readonly reference: boolean;
  readonly params: ParameterShare | null;
  /** By column label; null where the row has no finished run with that metric. */
  readonly cells: Readonly<Record<string, ReportCell | null>>;
}

export interface ReportTable {
  readonly family: 'nlg' | 'nlu';
  readonly reference: string;
  readonly columns: readonly ReportColumn[];
  readonly rows: readonly ReportRow[];
}

export interface SweepReport {
  readonly sweep: string;
  readonly alpha: number;
  readonly tables: readonly ReportTable[];
  /** Runs of the plan with no finished output. */
  readonly missing: readonly string[];
}

export interface BuildReportOptions {
  readonly sweep: string;
  readonly jobs: readonly SweepJob[];
  readonly runs: readonly FinishedRun[];
  readonly missing?: readonly string[];
  /** The method each table's rows are tested against (one per family; default the family's default preset). */
  readonly against?: readonly string[];
  readonly alpha?: number;
  readonly params?: ReadonlyMap<string, ParameterShare>;
}

/**
 * The paper's tables from finished runs: per family one row per method (preset) and one column per metric of the
 * tasks swept, each cell the mean ± sample standard deviation over seeds, marked where a two-sided Welch t-test
 * against the reference method gives p < alpha.
 */
export function buildReport(o: BuildReportOptions): SweepReport {
  const alpha = o.alpha ?? 0.05;
  const tables: ReportTable[] = [];
  for (const family of ['nlg', 'nlu'] as const) {
    const jobs = o.jobs.filter((j) => RECIPES[j.task].family === family);
    if (!jobs.length) continue;
    const methods = [...new Set(jobs.map((j) => j.preset))];
    const defaultPreset = RECIPES[jobs[0]!.task].defaultPreset;
    const reference = o.against?.find((a) => methods.includes(a)) ?? (methods.includes(defaultPreset) ? defaultPreset : methods[0]!);
    const runs = o.runs.filter((r) => RECIPES[r.job.task].family === family);
    const tasks = new Set(jobs.map((j) => j.task));
    const columns = REPORT_COLUMNS.filter((c) => tasks.has(c.task) && runs.some((r) => r.job.task === c.task && typeof r.metrics[c.key] === 'number'));
    const valuesOf = (method: string, c: ReportColumn): { seeds: number[]; values: number[] } => {
      const rs = runs.filter((r) => r.job.preset === method && r.job.task === c.task && typeof r.metrics[c.key] === 'number');
      return { seeds: rs.map((r) => r.job.seed), values: rs.map((r) => (r.metrics[c.key] as number) * c.scale) };
    };
    const rows: ReportRow[] = methods.map((method) => {
      const cells: Record<string, ReportCell | null> = {};
      for (const c of columns) {
        const { seeds, values } = valuesOf(method, c);
        if (!values.length) {
          cells[c.label] = null;
          continue;
        }
        const { mean, sd } = meanSd(values);
        const test = method === reference ? null : welchTTest(valuesOf(reference, c).values, values);
        cells[c.label] = { values, seeds, mean, sd, test, significant: test !== null && test.p < alpha };
      }
      return { method, reference: method === reference, params: o.params?.get(method) ?? null, cells };
    });
    tables.push({ family, reference, columns, rows });
  }
  return { sweep: o.sweep, alpha, tables, missing: o.missing ?? [] };
}

const TITLES = { nlg: 'GPT-2 (WebNLG, CoQA)', nlu: 'RoBERTa (MNLI, SST-2)' } as const;

/** The report as Markdown: one table per family, then the legend. */
export function renderReportMarkdown(r: SweepReport): string {
  const out: string[] = [`# Sweep '${r.sweep}'`, ''];
  const n = Math.max(0, ...r.tables.flatMap((t) => t.rows.flatMap((row) => Object.values(row.cells).map((c) => c?.values.length ?? 0))));
  for (const t of r.tables) {
    out.push(`## ${TITLES[t.family]}`, '');
    out.push(`| method | stored params (% of base) | ${t.columns.map((c) => `${c.label}${c.higherIsBetter ? ' ↑' : ' ↓'}`).join(' | ')} |`);
    out.push(`|---|---:|${t.columns.map(() => '---:').join('|')}|`);
    for (const row of t.rows) {
      const params = row.params ? `${row.params.stored.toLocaleString('en-US')} (${row.params.percent.toFixed(3)} %)` : '–';
      out.push(`| ${row.method}${row.reference ? ' (ref.)' : ''} | ${params} | ${t.columns.map((c) => formatCell(row.cells[c.label] ?? null)).join(' | ')} |`);
    }
    out.push('');
  }
  out.push(
    `Mean ± sample standard deviation over seeds (up to ${n} per cell; the count in brackets where a cell has fewer than the most). ` +
      `† : differs from the reference method (ref.) at p < ${r.alpha} in a two-sided Welch t-test; no mark: not significant or not testable ` +
      `(fewer than two seeds, or no variance on either side). Accuracies in percent. Stored params: what the method adds and a task must store ` +
      '(prefix reparameterisation MLPs left out), as a share of the base checkpoint.',
  );
  if (r.missing.length) out.push('', `Not finished (left out): ${r.missing.join(', ')}.`);
  return out.join('\n') + '\n';

  function formatCell(c: ReportCell | null): string {
    if (!c) return '–';
    const d = Math.abs(c.mean) < 1.5 ? 3 : 2;
    const count = c.values.length < n ? ` (${c.values.length})` : '';
    return `${c.mean.toFixed(d)}${c.sd !== null ? ` ± ${c.sd.toFixed(d)}` : ''}${count}${c.significant ? ' †' : ''}`;
  }
}
