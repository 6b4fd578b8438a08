/** The end-of-run report: what ran, the parameters trained and stored, the task's metrics, and the training chart. */
export interface RunReport {
  readonly title: string;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /**
   * The method's parameters: trained (the optimiser's), stored (the adapter file's, what the paper counts), and the
   * base model's, for percentages; `extraTrained`: values trained beside the method (GPT-2's task-token rows).
   */
  readonly parameters: { readonly trained: number; readonly stored: number; readonly base: number; readonly extraTrained: number };
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly loss: { readonly firstMean: number; readonly lastMean: number };
  /** The validation metric at the first and last evaluation, and its best. */
  readonly validation?: { readonly name: string; readonly first: number; readonly last: number; readonly best: number };
  /** The chart, as SVG and PNG, relative to the report. */
  readonly chart: { readonly svg: string; readonly png: string };
  /** Steps in the trailing mean of the smoothed loss line. */
  readonly smoothingWindow: number;
}

const fmt = (v: number | string | boolean): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(5)) : String(v));
const count = (n: number): string => n.toLocaleString('en-US');
const share = (n: number, base: number): string => `${((100 * n) / base).toFixed(3)} %`;

export function renderReport(r: RunReport): string {
  const lines = [`# ${r.title}`, '', '## Run', '', '| setting | value |', '|---|---|'];
  for (const [k, v] of Object.entries(r.settings)) lines.push(`| ${k} | ${fmt(v)} |`);
  const p = r.parameters;
  lines.push(
    '',
    '## Parameters',
    '',
    `| | parameters | % of the base model (${count(p.base)}) |`,
    '|---|---|---|',
    `| trained (the optimiser's variables) | ${count(p.trained)} | ${share(p.trained, p.base)} |`,
    `| stored (the adapter file; the paper's count) | ${count(p.stored)} | ${share(p.stored, p.base)} |`,
  );
  if (p.extraTrained) {
    lines.push('', `Also trained and saved beside the adapter: ${count(p.extraTrained)} task-token embedding values (not counted by the paper).`);
  }
  lines.push('', '## Metrics', '', '| metric | value |', '|---|---|');
  for (const [k, v] of Object.entries(r.metrics)) lines.push(`| ${k} | ${fmt(v)} |`);
  const drop = r.loss.firstMean > 0 ? (100 * (r.loss.firstMean - r.loss.lastMean)) / r.loss.firstMean : NaN;
  lines.push(
    '',
    '## Training curves',
    '',
    `![Training loss per step with its mean over the last ${r.smoothingWindow} steps, validation ${r.validation?.name ?? 'metric'} at each evaluation, and the learning rate, against the optimizer step](${r.chart.svg})`,
    '',
    `The same chart as PNG: [${r.chart.png}](${r.chart.png}).`,
    '',
    `Mean loss of the first 10 steps ${fmt(r.loss.firstMean)}, of the last 10 ${fmt(r.loss.lastMean)} (${fmt(drop)} % lower).`,
  );
  if (r.validation) {
    const v = r.validation;
    lines.push(`Validation ${v.name}: ${fmt(v.first)} at the first evaluation, ${fmt(v.last)} at the last, best ${fmt(v.best)}.`);
  }
  lines.push('');
  return lines.join('\n');
}
