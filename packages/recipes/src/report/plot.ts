import { encodePng, Raster } from './png.js';

const BLUE = [31, 119, 180] as const;
const RED = [214, 39, 40] as const;
const GREY = [200, 200, 200] as const;
const BLACK = [0, 0, 0] as const;

/**
 * A two-panel PNG: training loss against step (top, blue, with a light moving average) and learning rate against step
 * (bottom, red). Axes start at 0 on x; y spans each series' min..max (the Markdown report states the ranges).
 */
export function lossAndLrPlot(steps: readonly number[], loss: readonly number[], lr: readonly number[], width = 640, height = 400): Uint8Array {
  const r = new Raster(width, height);
  const margin = 30;
  const panelH = (height - 3 * margin) / 2;
  const panels = [
    { top: margin, values: loss, colour: BLUE },
    { top: 2 * margin + panelH, values: lr, colour: RED },
  ];
  const xMax = Math.max(1, ...steps);
  for (const p of panels) {
    const left = margin, right = width - margin, bottom = p.top + panelH;
    for (let k = 0; k <= 4; k++) {
      const y = p.top + (k * panelH) / 4;
      r.line(left, y, right, y, GREY);
    }
    r.line(left, p.top, left, bottom, BLACK);
    r.line(left, bottom, right, bottom, BLACK);
    const finite = p.values.filter(Number.isFinite);
    if (!finite.length) continue;
    const lo = Math.min(...finite), hi = Math.max(...finite);
    const span = hi - lo || 1;
    const X = (s: number): number => left + ((right - left) * s) / xMax;
    const Y = (v: number): number => bottom - ((v - lo) / span) * panelH;
    for (let i = 1; i < steps.length; i++) {
      if (!Number.isFinite(p.values[i - 1]!) || !Number.isFinite(p.values[i]!)) continue;
      r.line(X(steps[i - 1]!), Y(p.values[i - 1]!), X(steps[i]!), Y(p.values[i]!), p.colour);
    }
  }
  return encodePng(r);
}
