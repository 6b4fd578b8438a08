/** The end-of-run report: what ran, the task's metrics table, and the loss / learning-rate plot. */
export interface RunReport {
  readonly title: string;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly loss: { readonly firstMean: number; readonly lastMean: number };
  readonly lrRange: readonly [number, number];
  readonly lossRange: readonly [number, number];
  readonly plotFile: string;
}

const fmt = (v: number | string | boolean): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(5)) : String(v));

export function renderReport(r: RunReport): string {
  const lines = [`# ${r.title}`, '', '## Run', '', '| setting | value |', '|---|---|'];
  for (const [k, v] of Object.entries(r.settings)) lines.push(`| ${k} | ${fmt(v)} |`);
  lines.push('', '## Metrics', '', '| metric | value |', '|---|---|');
  for (const [k, v] of Object.entries(r.metrics)) lines.push(`| ${k} | ${fmt(v)} |`);
  const drop = r.loss.firstMean > 0 ? (100 * (r.loss.firstMean - r.loss.lastMean)) / r.loss.firstMean : NaN;
  lines.push(
    '',
    '## Training curve',
    '',
    `Mean loss of the first 10 steps ${fmt(r.loss.firstMean)}, of the last 10 ${fmt(r.loss.lastMean)} (${fmt(drop)} % lower).`,
    '',
    `![loss (top, blue; y from ${fmt(r.lossRange[0])} to ${fmt(r.lossRange[1])}) and learning rate (bottom, red; y from ${fmt(r.lrRange[0])} to ${fmt(r.lrRange[1])}) against the optimizer step](${r.plotFile})`,
    '',
  );
  return lines.join('\n');
}
