import { describe, expect, it } from 'vitest';
import { Resvg } from '@resvg/resvg-js';
import { CHART_FONT_FAMILY, chartFontFile, renderReport, renderVegaLite, smoothingWindow, trainingChartSpec } from '../src/index.js';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): [number, number] {
  const b = Buffer.from(png);
  expect([...b.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

/** The text of every <text> element of an SVG, entities decoded. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&#x27;|&apos;/g, "'"));
}

const steps = Array.from({ length: 120 }, (_, i) => ({ step: i + 1, loss: 6 * Math.exp(-i / 40) + 2 + 0.3 * Math.sin(i), lr: i < 10 ? 1e-3 * (i / 9) : 1e-3 * (1 - (i - 10) / 110) }));
const validations = Array.from({ length: 30 }, (_, i) => ({ step: 4 * (i + 1), value: 400 * Math.exp(-i / 8) + 20 }));

describe('the training chart (Vega-Lite, rendered to SVG and PNG without a browser)', () => {
  it('has a title, a titled axis for each panel, numbers on the axes, and a legend naming every line', async () => {
    const spec = trainingChartSpec({ title: 'peft train webnlg — inducer-lora', subtitle: 'tiny-gpt2 · 120 steps', steps, validations, validationName: 'perplexity' });
    const { svg, png } = await renderVegaLite(spec);
    const texts = svgTexts(svg);
    expect(texts).toContain('peft train webnlg — inducer-lora');
    expect(texts).toContain('tiny-gpt2 · 120 steps');
    for (const t of ['Training loss', 'Validation perplexity', 'Learning rate']) expect(texts, t).toContain(t);
    // axis titles: the step axis under each panel, and each y axis
    expect(texts.filter((t) => t === 'optimizer step')).toHaveLength(3);
    for (const t of ['loss', 'perplexity (log scale)', 'learning rate']) expect(texts, t).toContain(t);
    // the legend: one entry per line drawn
    for (const t of ['loss per step', `loss, mean of the last ${smoothingWindow(120)} steps`, 'validation perplexity', 'learning rate']) {
      expect(texts, t).toContain(t);
    }
    // numbers on the axes: step ticks, loss ticks, learning-rate ticks in exponent notation
    expect(texts).toEqual(expect.arrayContaining(['0', '20', '40', '100', '120']));
    expect(texts.some((t) => /^\d+e-\d$/.test(t))).toBe(true);
    expect(svg).toMatch(/font-family="DejaVu Sans"/);
    // the PNG is the same picture at twice the size
    const width = Number(svg.match(/<svg[^>]*width="(\d+)"/)![1]);
    const height = Number(svg.match(/<svg[^>]*height="(\d+)"/)![1]);
    expect(pngSize(png)).toEqual([2 * width, 2 * height]);
  });

  it('an NLU run charts its validation accuracy on a linear axis', async () => {
    const { svg } = await renderVegaLite(trainingChartSpec({ title: 't', steps, validations: validations.map((v, i) => ({ step: v.step, value: 0.5 + i / 100 })), validationName: 'accuracy' }));
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['Validation accuracy', 'accuracy', 'validation accuracy']));
  });

  it('text is drawn with the font shipped in the package (fonts/DejaVuSans.ttf), never the machine\'s: without it there is none', () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><rect width="120" height="30" fill="white"/><text x="4" y="22" font-family="${CHART_FONT_FAMILY}" font-size="20">Loss 1.5</text></svg>`;
    const dark = (fontFiles: string[]): number => {
      const img = new Resvg(svg, { font: { loadSystemFonts: false, fontFiles, defaultFontFamily: CHART_FONT_FAMILY } }).render();
      let n = 0;
      for (let i = 0; i < img.pixels.length; i += 4) if (img.pixels[i]! < 128) n++;
      return n;
    };
    expect(chartFontFile()).toMatch(/recipes[\\/]fonts[\\/]DejaVuSans\.ttf$/);
    expect(dark([])).toBe(0);
    expect(dark([chartFontFile()])).toBeGreaterThan(100);
  });
});

describe('the run report', () => {
  it('holds the parameters trained and stored with their share of the base, the metrics, and links the SVG and PNG', () => {
    const md = renderReport({
      title: 't', settings: { task: 'sst2' }, metrics: { BLEU: 12.5 }, loss: { firstMean: 4, lastMean: 2 },
      parameters: { trained: 15_695_840, stored: 599_232, base: 124_645_632, extraTrained: 0 },
      validation: { name: 'accuracy', first: 0.5, last: 0.75, best: 0.8 },
      chart: { svg: 'loss.svg', png: 'loss.png' }, smoothingWindow: 6,
    });
    expect(md).toMatch(/\| trained \(the optimiser's variables\) \| 15,695,840 \| 12\.592 % \|/);
    expect(md).toMatch(/\| stored \(the adapter file; the paper's count\) \| 599,232 \| 0\.481 % \|/);
    expect(md).toMatch(/% of the base model \(124,645,632\)/);
    expect(md).not.toMatch(/task-token/);
    expect(md).toMatch(/\| BLEU \| 12\.500 \|/);
    expect(md).toMatch(/\(50 % lower\)/);
    expect(md).toMatch(/!\[Training loss per step with its mean over the last 6 steps, validation accuracy[^\]]*\]\(loss\.svg\)/);
    expect(md).toMatch(/\[loss\.png\]\(loss\.png\)/);
    expect(md).toMatch(/Validation accuracy: 0\.50000 at the first evaluation, 0\.75000 at the last, best 0\.80000\./);
    const nlg = renderReport({
      title: 't', settings: {}, metrics: {}, loss: { firstMean: 4, lastMean: 2 }, parameters: { trained: 7_880, stored: 7_880, base: 50_000, extraTrained: 512 },
      chart: { svg: 'loss.svg', png: 'loss.png' }, smoothingWindow: 1,
    });
    expect(nlg).toMatch(/Also trained and saved beside the adapter: 512 task-token embedding values/);
  });
});
